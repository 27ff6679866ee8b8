"""The synthesized CloudFormation: resources, wiring, least privilege, prod safety."""
from __future__ import annotations

import json

import pytest
from infra_template import ASL_FILE, asl, model_tables, resources

from chalicelib.resources import for_stage

# Every name the stack gives a resource comes from chalicelib/resources.py.
DEV = for_stage("dev")
FUNCTIONS = ("APIHandler", "InboundMail", "WrittenReplyOutbox", "WatchTasks", "WatchOutbox",
             "CallbackReminders", "HandoverAndStats", "MakeThumbnails", "KeysOverdue", "DeliverNotifications",
             "WatchStream")


def _tables(t: dict) -> dict:
    return {r["Properties"]["TableName"]: r for r in resources(t, "AWS::DynamoDB::Table").values()}


def _queues(t: dict) -> dict:
    return {r["Properties"]["QueueName"]: (k, r) for k, r in resources(t, "AWS::SQS::Queue").items()}


def _keys(schema: list) -> list:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


def _resolve(value, t: dict):
    """Enough of CloudFormation's intrinsic functions to read a synthesized string."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(_resolve(p, t) for p in parts)
    if isinstance(value, dict) and "Ref" in value:
        return {"AWS::Partition": "aws", "AWS::Region": "us-east-1",
                "AWS::AccountId": "123456789012"}.get(value["Ref"], f"<{value['Ref']}>")
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    raise AssertionError(f"unexpected intrinsic {value!r}")


def test_synth_is_offline_and_timed(synth):
    # The whole session synthesizes once; keep an eye on its cost.
    print(f"\nsynth (dev+prod, cdk-nag) took {synth.seconds:.1f}s")
    assert set(synth.templates) == {"dev", "prod"}


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_tables_keys_gsis_pitr(synth, stage):
    """The deployed tables have exactly the keys, key types and indexes the pynamodb
    models (chalicelib/adapters/models.py) declare: read from the models, not a copy."""
    t = synth.json(stage)
    tables = _tables(t)
    expected = model_tables(for_stage(stage))
    assert set(tables) == set(expected)
    for name, model in expected.items():
        props = tables[name]["Properties"]
        assert _keys(props["KeySchema"]) == model["keys"], name
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        found = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes", [])}
        assert set(found) == set(model["indexes"]), name
        for index, gkeys in model["indexes"].items():
            assert _keys(found[index]["KeySchema"]) == gkeys, (name, index)
            # ALL, except the dedupe index: INCLUDE of the few fields a duplicate check reads.
            if index == "dedupe":
                assert found[index]["Projection"] == {"ProjectionType": "INCLUDE",
                                                      "NonKeyAttributes": ["status", "dedupe"]}
            else:
                assert found[index]["Projection"]["ProjectionType"] == "ALL"
        types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
        assert types == model["types"], name
        ttl = props.get("TimeToLiveSpecification")
        assert ttl == ({"AttributeName": model["ttl"], "Enabled": True} if model["ttl"] else None), name
    meta = tables[f"tenantdesk-{stage}-meta"]["Properties"]
    assert meta["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert types_of(tables[f"tenantdesk-{stage}-case-events"])["seq"] == "N"


def types_of(table: dict) -> dict:
    return {a["AttributeName"]: a["AttributeType"] for a in table["Properties"]["AttributeDefinitions"]}


def test_prod_tables_protected_and_retained(prod, dev):
    for table in _tables(prod).values():
        assert table["Properties"]["DeletionProtectionEnabled"] is True
        assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
    for table in _tables(dev).values():
        assert not table["Properties"].get("DeletionProtectionEnabled")
        assert table["DeletionPolicy"] == "Delete"
    for pool in resources(prod, "AWS::Cognito::UserPool").values():
        assert pool["DeletionPolicy"] == "Retain"
    for bucket in resources(prod, "AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Retain"


def test_queues_and_dead_letter_queues(dev):
    queues = _queues(dev)
    assert set(queues) == {DEV.watch_queue, DEV.watch_queue_dlq, DEV.reminder_queue,
                           DEV.reminder_queue_dlq, DEV.watch_dead_letters,
                           DEV.inbound_mail_failures, DEV.thumbnail_queue, DEV.thumbnail_queue_dlq,
                           DEV.watch_stream_failures}
    for consumed, dlq in ((DEV.watch_queue, DEV.watch_queue_dlq),
                          (DEV.reminder_queue, DEV.reminder_queue_dlq),
                          (DEV.thumbnail_queue, DEV.thumbnail_queue_dlq)):
        redrive = queues[consumed][1]["Properties"]["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [queues[dlq][0], "Arn"]}
        assert redrive["maxReceiveCount"] >= 1
    for _, q in queues.values():
        assert q["Properties"]["SqsManagedSseEnabled"] is True


def test_sns_topic_and_lambda_subscriptions(dev):
    topics = {r["Properties"]["TopicName"] for r in resources(dev, "AWS::SNS::Topic").values()}
    assert DEV.inbound_topic in topics
    fns = resources(dev, "AWS::Serverless::Function")
    assert set(fns) == set(FUNCTIONS)
    events = fns["InboundMail"]["Properties"]["Events"]
    (sns_event,) = events.values()
    assert sns_event["Type"] == "SNS"
    assert sns_event["Properties"]["Topic"]["Fn::Sub"].endswith(":" + DEV.inbound_topic)
    for fn, queue in (("WatchTasks", DEV.watch_queue), ("CallbackReminders", DEV.reminder_queue),
                      ("MakeThumbnails", DEV.thumbnail_queue)):
        (ev,) = fns[fn]["Properties"]["Events"].values()
        assert ev["Type"] == "SQS" and ev["Properties"]["Queue"]["Fn::Sub"].endswith(":" + queue)
    schedules = {fn: [e["Properties"]["Schedule"] for e in fns[fn]["Properties"]["Events"].values()]
                 for fn in ("WrittenReplyOutbox", "WatchOutbox", "HandoverAndStats", "KeysOverdue",
                            "DeliverNotifications")}
    assert schedules == {"WrittenReplyOutbox": ["rate(5 minutes)"], "WatchOutbox": ["rate(1 minute)"],
                         "HandoverAndStats": ["cron(5 * * * ? *)"], "KeysOverdue": ["rate(5 minutes)"],
                         "DeliverNotifications": ["rate(1 minute)"]}


def test_functions_environment_points_at_the_resources(dev):
    fns = resources(dev, "AWS::Serverless::Function")
    tables = {r["Properties"]["TableName"]: k for k, r in resources(dev, "AWS::DynamoDB::Table").items()}
    queues = {name: k for name, (k, _) in _queues(dev).items()}
    (sm,) = resources(dev, "AWS::StepFunctions::StateMachine")
    (bucket,) = resources(dev, "AWS::S3::Bucket")
    (pool,) = resources(dev, "AWS::Cognito::UserPool")
    for name, fn in fns.items():
        env = fn["Properties"]["Environment"]["Variables"]
        assert env["TD_AUTH_MODE"] == "cognito"
        assert env["TD_TABLE_PREFIX"] == "tenantdesk-dev"
        assert env["TD_CASES_TABLE"] == {"Ref": tables["tenantdesk-dev-cases"]}
        assert env["TD_MAIL_BUCKET"] == {"Ref": bucket}
        assert env["TD_STATE_MACHINE_ARN"] == {"Ref": sm}
        assert env["TD_WATCH_QUEUE_URL"] == {"Ref": queues[DEV.watch_queue]}
        assert env["TD_WATCH_DLQ_URL"] == {"Ref": queues[DEV.watch_dead_letters]}
        assert env["TD_REMINDER_QUEUE_ARN"] == {"Fn::GetAtt": [queues[DEV.reminder_queue], "Arn"]}
        assert env["TD_SCHEDULE_GROUP"] == DEV.schedule_group
        assert env["TD_USER_POOL_ARN"] == {"Fn::GetAtt": [pool, "Arn"]}
        # Each function runs with its own role from the stack, not a shared Chalice one.
        assert fn["Properties"]["Role"] == {"Fn::GetAtt": [f"{name}Role" + _suffix(dev, f"{name}Role"), "Arn"]}
    assert "DefaultRole" not in dev["Resources"]


def _suffix(t: dict, prefix: str) -> str:
    (match,) = [k for k, r in t["Resources"].items()
                if r["Type"] == "AWS::IAM::Role" and k.startswith(prefix) and len(k) == len(prefix) + 8]
    return match[len(prefix):]


def _public_routes() -> set:
    """Routes the source declares without ``authorizer=`` (one decorator per line)."""
    import re
    repo = ASL_FILE.parents[1]
    public = set()
    for path in [repo / "app.py", *sorted((repo / "chalicelib").rglob("*.py"))]:
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"\s*@\w+\.route\((['\"])(.+?)\1", line)
            if m and "authorizer=" not in line:
                public.add(m.group(2))
    return public


def test_cognito_authorizer_is_packaged_with_the_pool_arn(dev):
    """app.py attaches the authorizer only if TD_USER_POOL_ARN is set at import: the
    swagger Chalice generated must carry the pool's ARN, on every route but the public two."""
    (api,) = resources(dev, "AWS::Serverless::Api").values()
    body = api["Properties"]["DefinitionBody"]
    (pool,) = resources(dev, "AWS::Cognito::UserPool")
    auth = body["securityDefinitions"]["TenantdeskUsers"]["x-amazon-apigateway-authorizer"]
    assert auth["providerARNs"] == [{"Fn::GetAtt": [pool, "Arn"]}]
    public = _public_routes()
    assert {"/v1/health", "/v1/openapi.json"} <= public
    for path, methods in body["paths"].items():
        for method, op in methods.items():
            if method.startswith("x-") or method == "options":
                continue
            secured = op.get("security") == [{"TenantdeskUsers": []}]
            assert secured == (path not in public), (path, method)


def test_cognito_groups_and_properties_attribute(dev):
    groups = {r["Properties"]["GroupName"] for r in resources(dev, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == {"tenant", "security", "front_desk", "shift_lead", "dept_staff", "manager", "director", "admin"}
    (pool,) = resources(dev, "AWS::Cognito::UserPool").values()
    schema = {a["Name"]: a for a in pool["Properties"]["Schema"]}
    assert schema["properties"]["AttributeDataType"] == "String"


def test_state_machine_is_the_repo_asl_file(dev):
    (sm,) = resources(dev, "AWS::StepFunctions::StateMachine").values()
    definition = _resolve(sm["Properties"]["DefinitionString"], dev)
    assert json.loads(definition) == asl(), f"state machine differs from {ASL_FILE}"
    assert sm["Properties"]["StateMachineType"] == "STANDARD"


def test_state_machine_role_only_sends_to_its_queues(dev):
    (sm,) = resources(dev, "AWS::StepFunctions::StateMachine").values()
    role = sm["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    queues = {name: k for name, (k, _) in _queues(dev).items()}
    policies = [p for p in resources(dev, "AWS::IAM::Policy").values()
                if {"Ref": role} in p["Properties"]["Roles"]]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert statements == [{
        "Action": "sqs:SendMessage", "Effect": "Allow",
        "Resource": [{"Fn::GetAtt": [queues[DEV.watch_queue], "Arn"]},
                     {"Fn::GetAtt": [queues[DEV.watch_dead_letters], "Arn"]}]}]
    assert not dev["Resources"][role]["Properties"].get("ManagedPolicyArns")


def test_scheduler_group_and_role(dev):
    (group,) = resources(dev, "AWS::Scheduler::ScheduleGroup").values()
    assert group["Properties"]["Name"] == DEV.schedule_group
    roles = {k: r for k, r in resources(dev, "AWS::IAM::Role").items()
             if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
             == {"Service": "scheduler.amazonaws.com"}}
    (role,) = roles
    queues = {name: k for name, (k, _) in _queues(dev).items()}
    statements = [s for p in resources(dev, "AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"]["Roles"]
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert statements == [{"Action": "sqs:SendMessage", "Effect": "Allow",
                           "Resource": {"Fn::GetAtt": [queues[DEV.reminder_queue], "Arn"]}}]


def test_ses_receipt_rule_stores_to_s3_and_notifies_the_topic(dev):
    (rule,) = resources(dev, "AWS::SES::ReceiptRule").values()
    (bucket,) = resources(dev, "AWS::S3::Bucket")
    topic = next(k for k, r in resources(dev, "AWS::SNS::Topic").items()
                 if r["Properties"]["TopicName"] == DEV.inbound_topic)
    (action,) = rule["Properties"]["Rule"]["Actions"]
    s3 = action["S3Action"]
    assert s3["BucketName"] == {"Ref": bucket}
    assert s3["ObjectKeyPrefix"] == "inbound/"
    assert s3["TopicArn"] == {"Ref": topic}
    assert rule["Properties"]["Rule"]["Enabled"] is True
    # SES may write to the bucket (only under this account), and publish to the topic.
    (policy,) = resources(dev, "AWS::S3::BucketPolicy").values()
    ses = [s for s in policy["Properties"]["PolicyDocument"]["Statement"]
           if s.get("Principal") == {"Service": "ses.amazonaws.com"}]
    assert ses and ses[0]["Action"] == "s3:PutObject"
    assert "aws:SourceAccount" in json.dumps(ses[0]["Condition"]) or "aws:Referer" in json.dumps(ses[0]["Condition"])
    topic_policies = [p for p in resources(dev, "AWS::SNS::TopicPolicy").values()
                      if {"Ref": topic} in p["Properties"]["Topics"]]
    assert any(s.get("Principal") == {"Service": "ses.amazonaws.com"} and s["Action"] == "sns:Publish"
               for p in topic_policies for s in p["Properties"]["PolicyDocument"]["Statement"])


def test_mail_bucket_encrypted_private_ssl_lifecycle(dev):
    for name, bucket in resources(dev, "AWS::S3::Bucket").items():
        props = bucket["Properties"]
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"], name
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True,
            "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    (bucket,) = resources(dev, "AWS::S3::Bucket").values()
    rules = {r["Prefix"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["inbound/"]["ExpirationInDays"] == 365
    assert rules["uploads/"]["ExpirationInDays"] == 1  # staged uploads never completed
    assert rules["attachments/"]["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]
    (policy,) = resources(dev, "AWS::S3::BucketPolicy").values()
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in policy["Properties"]["PolicyDocument"]["Statement"])


def test_alarms(dev):
    alarms = list(resources(dev, "AWS::CloudWatch::Alarm").values())
    by_metric = {}
    for a in alarms:
        p = a["Properties"]
        assert p["Threshold"] == (60_000 if p["MetricName"] == "IteratorAge" else 0)  # ms behind; else any
        assert p["ComparisonOperator"] == "GreaterThanThreshold"
        assert p["AlarmActions"], "every alarm notifies the alarm topic"
        by_metric.setdefault((p["Namespace"], p["MetricName"]), []).append(p)
    queues = {name: k for name, (k, _) in _queues(dev).items()}
    dlq = by_metric[("AWS/SQS", "ApproximateNumberOfMessagesVisible")]
    assert {"Name": "QueueName", "Value": {"Fn::GetAtt": [queues[DEV.watch_dead_letters], "QueueName"]}} \
        in [d for a in dlq for d in a["Dimensions"]]
    assert by_metric[("AWS/States", "ExecutionsFailed")]
    assert by_metric[("AWS/ApiGateway", "5XXError")]
    lambda_alarms = by_metric[("AWS/Lambda", "Errors")]
    assert sorted(a["Dimensions"][0]["Value"]["Ref"] for a in lambda_alarms) == sorted(FUNCTIONS)


def _statements(t: dict):
    for k, r in t["Resources"].items():
        if r["Type"] == "AWS::IAM::Policy":
            yield from ((k, s) for s in r["Properties"]["PolicyDocument"]["Statement"])
        elif r["Type"] == "AWS::IAM::Role":
            for p in r["Properties"].get("Policies", []):
                yield from ((k, s) for s in p["PolicyDocument"]["Statement"])
        elif r["Type"] in ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            yield from ((k, s) for s in r["Properties"]["PolicyDocument"]["Statement"])
        elif r["Type"] == "AWS::Serverless::Function":
            for p in r["Properties"].get("Policies", []) or []:
                if isinstance(p, dict) and "Statement" in p:
                    yield from ((k, s) for s in p["Statement"])


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_no_wildcard_actions(synth, stage):
    banned = {"*", "dynamodb:*", "s3:*", "sqs:*", "sns:*", "states:*", "ses:*", "iam:*", "scheduler:*"}
    seen = 0
    for where, statement in _statements(synth.json(stage)):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        seen += 1
        if statement["Effect"] == "Deny":
            continue  # enforce-SSL denies are meant to be broad
        assert not banned & set(actions), f"{where}: {actions}"
        assert not any("*" in a for a in actions), f"{where}: wildcard action in {actions}"
    assert seen > 10


def test_lambda_roles_least_privilege(dev):
    """Each function's role holds only what that handler uses."""
    def actions_of(fn: str) -> set:
        role = dev["Resources"][fn]["Properties"]["Role"]["Fn::GetAtt"][0]
        return {a for p in resources(dev, "AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"]["Roles"]
                for s in p["Properties"]["PolicyDocument"]["Statement"]
                for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    acts = {fn: actions_of(fn) for fn in FUNCTIONS}
    for fn, a in acts.items():
        assert {"dynamodb:GetItem", "dynamodb:PutItem", "ses:SendRawEmail"} <= a, fn
        assert not any(x.startswith("dynamodb:") and ("Delete" in x and "Table" in x) for x in a)
    assert "states:SendTaskSuccess" in acts["WatchTasks"] and "sqs:ReceiveMessage" in acts["WatchTasks"]
    assert "sqs:ReceiveMessage" in acts["CallbackReminders"]
    # Watchers start from the meta table's stream (and the sweep): no request path starts one.
    assert {fn for fn, a in acts.items() if "states:StartExecution" in a} == {"WatchStream", "WatchOutbox"}
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "sqs:SendMessage"} <= acts["WatchStream"]
    assert {"scheduler:CreateSchedule", "iam:PassRole"} <= acts["APIHandler"]
    # The minute sweep syncs report schedules a PUT could not (services/report_mail_service.py sweep_syncs).
    assert {"scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule",
            "iam:PassRole"} <= acts["WatchOutbox"]
    assert {"s3:GetObject", "s3:PutObject"} <= acts["InboundMail"]
    # Uploads: the API signs the presigned POST (PutObject), checks, copies and deletes; thumbnails read and write.
    assert {"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:ListBucket"} <= acts["APIHandler"]
    assert {"s3:GetObject", "s3:PutObject", "sqs:ReceiveMessage"} <= acts["MakeThumbnails"]
    assert "s3:DeleteObject" not in acts["MakeThumbnails"]
    assert not any(x.startswith("s3:") for fn in set(FUNCTIONS) - {"InboundMail", "APIHandler", "MakeThumbnails"}
                   for x in acts[fn])
    for fn in ("WrittenReplyOutbox", "HandoverAndStats", "KeysOverdue", "DeliverNotifications"):
        assert not any(x.startswith(("states:", "scheduler:", "s3:", "sqs:", "iam:")) for x in acts[fn]), fn
    assert {"sns:Publish", "sns:DeleteEndpoint"} <= acts["DeliverNotifications"]
    assert "sns:CreatePlatformEndpoint" in acts["APIHandler"]
    assert not any(x.startswith("sns:") for fn in set(FUNCTIONS) - {"APIHandler", "DeliverNotifications"}
                   for x in acts[fn])
    for fn in set(FUNCTIONS) - {"WatchTasks"}:
        assert not any(x.startswith("states:SendTask") for x in acts[fn]), fn


def test_synth_leaves_the_process_environment_alone(synth):
    """chalice package copies stage variables (CDK tokens here) into os.environ while it
    imports the app; they must not leak into the tests that run after these."""
    import os
    leaked = {k: v for k, v in os.environ.items() if "${Token[" in v}
    assert not leaked


def test_synth_leaves_import_paths_alone(synth):
    """`import app` after the synth still finds the repo root's app.py, not infra/app.py."""
    import sys

    from infra_template import ASL_FILE as asl_file
    infra = str(asl_file.parents[1] / "infra")
    assert infra not in sys.path
    assert "app" not in sys.modules or sys.modules["app"].__file__ == str(asl_file.parents[1] / "app.py")


def _named(t: dict) -> set:
    """Every name the template gives a resource (or an event source subscribes to)."""
    props = ("TableName", "QueueName", "TopicName", "StateMachineName", "UserPoolName", "RuleSetName",
             "ClientName")
    names = set()
    for r in t["Resources"].values():
        p = r.get("Properties", {})
        names |= {p[k] for k in props if isinstance(p.get(k), str)}
        if r["Type"] == "AWS::Scheduler::ScheduleGroup":
            names.add(p["Name"])
        for ev in (p.get("Events") or {}).values():
            source = ev["Properties"].get("Queue") or ev["Properties"].get("Topic")
            if isinstance(source, dict) and "Fn::Sub" in source:
                names.add(source["Fn::Sub"].rsplit(":", 1)[-1])
    return names


def test_two_stages_share_no_resource_name_so_they_can_share_an_account(dev, prod):
    dev_names, prod_names = _named(dev), _named(prod)
    assert {DEV.watch_queue, DEV.reminder_queue, DEV.inbound_topic, DEV.schedule_group} <= dev_names
    assert not dev_names & prod_names, dev_names & prod_names
    for stage, names in (("dev", dev_names), ("prod", prod_names)):
        assert all(n == f"tenantdesk-{stage}" or n.startswith(f"tenantdesk-{stage}-") for n in names), names


def test_the_bucket_takes_browser_uploads_and_announces_stored_attachments_for_thumbnails(dev):
    (bucket,) = resources(dev, "AWS::S3::Bucket").values()
    cors = bucket["Properties"]["CorsConfiguration"]["CorsRules"]
    post = next(r for r in cors if r["AllowedMethods"] == ["POST"])
    assert post["AllowedOrigins"] and all(o.startswith("https://") or isinstance(o, dict)
                                          for o in post["AllowedOrigins"])
    assert "*" not in post["AllowedOrigins"]
    (notifications,) = resources(dev, "Custom::S3BucketNotifications").values()
    (queue_config,) = notifications["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    queues = {name: k for name, (k, _) in _queues(dev).items()}
    assert queue_config["QueueArn"] == {"Fn::GetAtt": [queues[DEV.thumbnail_queue], "Arn"]}
    assert queue_config["Events"] == ["s3:ObjectCreated:*"]
    assert queue_config["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "attachments/"}]
    # S3 may send to the thumbnail queue, for this bucket only.
    sends = [st for _, st in _statements(dev) if st.get("Principal") == {"Service": "s3.amazonaws.com"}]
    assert sends and all(st["Action"] == "sqs:SendMessage" or "sqs:SendMessage" in st["Action"] for st in sends)
    assert all("aws:SourceArn" in json.dumps(st.get("Condition")) for st in sends)


def test_the_meta_tables_stream_starts_watchers_with_failures_reported_bisected_and_parked(dev):
    """Chalice's decorator says only the stream, batch size and start position; the rest of
    the event source mapping is infra's (infra/functions.py _wire_watch_stream)."""
    tables = {t["Properties"]["TableName"]: (k, t) for k, t in resources(dev, "AWS::DynamoDB::Table").items()}
    meta_id, meta = tables[DEV.meta_table]
    assert meta["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert all("StreamSpecification" not in t["Properties"] for name, (_, t) in tables.items()
               if name != DEV.meta_table)
    [source] = dev["Resources"]["WatchStream"]["Properties"]["Events"].values()
    assert source["Type"] == "DynamoDB"
    props = source["Properties"]
    assert props["Stream"] == {"Fn::GetAtt": [meta_id, "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True and props["MaximumRetryAttempts"] == 3
    assert props["StartingPosition"] == "TRIM_HORIZON"
    queues = {name: k for name, (k, _) in _queues(dev).items()}
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": [queues[DEV.watch_stream_failures], "Arn"]}
    [pattern] = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert pattern == {"eventName": ["INSERT", "MODIFY"], "dynamodb": {"Keys": {"pk": {"S": ["WATCH_OUTBOX"]}}}}


def test_the_stream_consumer_alarms_on_iterator_age_and_on_given_up_records(dev):
    alarms = {k: a["Properties"] for k, a in resources(dev, "AWS::CloudWatch::Alarm").items()}
    age = next(p for p in alarms.values() if p.get("MetricName") == "IteratorAge")
    assert age["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "WatchStream"}}]
    assert age["Statistic"] == "Maximum" and age["Threshold"] == 60_000 and age["AlarmActions"]
    queues = {name: k for name, (k, _) in _queues(dev).items()}
    assert any({"Name": "QueueName", "Value": {"Fn::GetAtt": [queues[DEV.watch_stream_failures], "QueueName"]}}
               in p.get("Dimensions", []) for p in alarms.values())


def test_each_function_has_the_memory_its_cold_start_and_work_call_for(dev):
    """infra/README.md "Lambda sizing": a person waits on the API; CPU-bound handlers
    (mail, thumbnails) get a larger CPU share; schedules that read a row or two, the least."""
    memory = {fn: dev["Resources"][fn]["Properties"]["MemorySize"] for fn in FUNCTIONS}
    assert memory["APIHandler"] == memory["InboundMail"] == memory["MakeThumbnails"] == 1024
    assert memory["WatchStream"] == memory["WatchTasks"] == 512
    assert memory["WatchOutbox"] == memory["KeysOverdue"] == memory["CallbackReminders"] == 256
