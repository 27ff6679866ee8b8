"""AWS behind the ports: DynamoDB, SES, Step Functions, Scheduler, S3; key formats live here."""
