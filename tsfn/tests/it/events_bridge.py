"""moto's EventBridge for the `events` suite, through boto3 (endpoint and credentials from the
environment the test passes: AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, ...).

  setup BUS QUEUE  creates the bus BUS, the SQS queue QUEUE and a rule on BUS sending every
                   event of source `tsfn` to QUEUE;
  read QUEUE       prints the events in QUEUE (the messages' bodies) as a JSON list, deleting them.
"""
import json
import os
import sys

import boto3


def main():
    # boto3 reads AWS_DEFAULT_REGION; the tests set AWS_REGION, as the Rust SDK reads it.
    region = os.environ.get("AWS_REGION", "us-east-1")
    events = boto3.client("events", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    cmd = sys.argv[1]
    if cmd == "setup":
        bus, queue = sys.argv[2], sys.argv[3]
        events.create_event_bus(Name=bus)
        url = sqs.create_queue(QueueName=queue)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=f"{bus}-to-{queue}", EventBusName=bus,
                        EventPattern=json.dumps({"source": ["tsfn"]}))
        events.put_targets(Rule=f"{bus}-to-{queue}", EventBusName=bus,
                           Targets=[{"Id": "queue", "Arn": arn}])
    elif cmd == "read":
        url = sqs.get_queue_url(QueueName=sys.argv[2])["QueueUrl"]
        out = []
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        print(json.dumps(out))
    else:
        sys.exit(f"unknown command {cmd}")


main()
