#!/usr/bin/env python3
"""Generate docs/api-coverage.md: every Lambda API operation and Lambent's support for it.

The operation list, HTTP methods and paths come from botocore's Lambda service model
(botocore/data/lambda/2015-03-31/service-2.json), so the table always covers the whole
API that boto3 and the AWS CLI speak. Lambent's status per operation comes from
COVERAGE below: edit it when an operation lands, then rerun

    python3 scripts/gen-api-coverage.py            # rewrite docs/api-coverage.md
    python3 scripts/gen-api-coverage.py --check    # exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import botocore
from botocore.loaders import Loader

SUPPORTED = "supported"
PARTIAL = "partial"
NOT_YET = "not yet"

# Operation name -> (status, notes). Operations not listed here are "not yet".
COVERAGE: dict[str, tuple[str, str]] = {
    "CreateFunction": (PARTIAL, "Zip packages (`ZipFile`) for python3.9–python3.14, nodejs20.x–nodejs24.x, java17/21/25, ruby3.2–3.4, provided.al2023 and provided.al2 (docs/SPECIFICATION.md, Runtimes); container images (`PackageType: Image`, `ImageUri` in any registry the server reaches, `ImageConfig`); `VpcConfig` picks the network mode (docs/SPECIFICATION.md, Network); `Publish` makes version 1; `Layers` (at most 5, merged into a read-only /opt); `LoggingConfig` (`JSON` or `Text`, levels, log group); no S3 code yet."),
    "GetFunction": (SUPPORTED, "`Code.Location` is a URL on this server (plain GET). `Qualifier` (or `name:qualifier`, qualified ARNs): `$LATEST`, a published version or an alias."),
    "GetFunctionConfiguration": (SUPPORTED, "Qualified as GetFunction."),
    "PublishVersion": (SUPPORTED, "`CodeSha256` and `RevisionId` preconditions; an unchanged `$LATEST` answers with the last version; numbers are never reused."),
    "ListVersionsByFunction": (SUPPORTED, "`$LATEST` first, then by number; `Marker`/`MaxItems` (at most 50 a page)."),
    "CreateAlias": (SUPPORTED, "`RoutingConfig.AdditionalVersionWeights`: one more version, weight in [0, 1], picked per invocation."),
    "GetAlias": (SUPPORTED, ""),
    "UpdateAlias": (SUPPORTED, "`RevisionId` precondition."),
    "DeleteAlias": (SUPPORTED, "204 also when the alias does not exist, as AWS answers."),
    "TagResource": (SUPPORTED, "Functions (unqualified ARNs; not versions or aliases, as on AWS) and event source mappings; at most 50 tags. Capacity providers (which Lambent has none of) are not found, layers and code-signing configs refused."),
    "UntagResource": (SUPPORTED, ""),
    "ListTags": (SUPPORTED, ""),
    "ListAliases": (SUPPORTED, "`FunctionVersion` filter (the alias's own version), `Marker`/`MaxItems`."),
    "ListFunctions": (SUPPORTED, "`Marker` / `MaxItems` pagination."),
    "UpdateFunctionCode": (PARTIAL, "`ZipFile`, `ImageUri` (image functions), `DryRun` and `Publish` (answers with the new version); no S3 code yet."),
    "UpdateFunctionConfiguration": (SUPPORTED, "`VpcConfig` changes the network mode of new environments; `Layers` replaces the function's layers (`[]` removes them); `LoggingConfig` is merged as AWS merges it (members left out keep their values; `JSON` brings INFO levels, `Text` drops them); `ImageConfig` for image functions."),
    "PublishLayerVersion": (PARTIAL, "`Content.ZipFile` (no S3 yet), validated and unpacked like function code; `CompatibleRuntimes`, `CompatibleArchitectures`, `Description`, `LicenseInfo`; numbers never reused."),
    "GetLayerVersion": (SUPPORTED, "`Content.Location` is a download URL on this server, like `Code.Location`."),
    "GetLayerVersionByArn": (SUPPORTED, ""),
    "ListLayers": (SUPPORTED, "Each layer's newest version matching `CompatibleRuntime` / `CompatibleArchitecture`; `Marker`/`MaxItems` (at most 50)."),
    "ListLayerVersions": (SUPPORTED, "Newest first; filters and pagination as ListLayers; an unknown layer lists nothing."),
    "DeleteLayerVersion": (SUPPORTED, "204 also for unknown versions; functions that use the version keep their /opt."),
    "AddLayerVersionPermission": (SUPPORTED, "Stored and answered as AWS formats it; Lambent has one account, so nothing reads it."),
    "RemoveLayerVersionPermission": (SUPPORTED, ""),
    "GetLayerVersionPolicy": (SUPPORTED, ""),
    "AddPermission": (SUPPORTED, "Per function, version or alias (not `$LATEST`); principals `*`, services, account ids, IAM ARNs; `SourceArn`, `SourceAccount`, `PrincipalOrgID`, `FunctionUrlAuthType`, `EventSourceToken` conditions and `InvokedViaFunctionUrl` (`Bool` condition). Evaluated in one place (`ResourcePolicy.allows`); public Function URLs need both URL statements."),
    "RemovePermission": (SUPPORTED, "`RevisionId` precondition."),
    "GetPolicy": (SUPPORTED, "The document exactly as AWS formats it."),
    "PutProvisionedConcurrencyConfig": (SUPPORTED, "On a version or alias; environments initialized ahead of demand, never reclaimed as idle, replaced when they die, counted against the account's unreserved concurrency."),
    "GetProvisionedConcurrencyConfig": (SUPPORTED, "`IN_PROGRESS` until every environment is initialized, then `READY`; `FAILED` (`FUNCTION_ERROR_INIT_FAILURE`) when an init fails."),
    "DeleteProvisionedConcurrencyConfig": (SUPPORTED, ""),
    "ListProvisionedConcurrencyConfigs": (SUPPORTED, "`Marker`/`MaxItems` (at most 50)."),
    "PutRuntimeManagementConfig": (SUPPORTED, "Kept and answered; Lambent runs the host's runtimes, so the mode changes nothing."),
    "GetRuntimeManagementConfig": (SUPPORTED, "`Auto` until set."),
    "PutFunctionRecursionConfig": (SUPPORTED, "Kept and answered; no loop detection (a function calling itself through Lambent carries no trace header to count)."),
    "GetFunctionRecursionConfig": (SUPPORTED, "`Terminate` until set, as AWS."),
    "DeleteFunction": (SUPPORTED, "With a version as `Qualifier`, deletes that version only (refused while an alias routes to it; a version that is not there is taken as deleted, and an alias refused, as AWS answers)."),
    "GetAccountSettings": (SUPPORTED, "`ConcurrentExecutions` from `--concurrency-limit`; `UnreservedConcurrentExecutions` less reservations."),
    "PutFunctionConcurrency": (SUPPORTED, "At least 100 (or the whole limit, if smaller) stays unreserved."),
    "GetFunctionConcurrency": (SUPPORTED, ""),
    "DeleteFunctionConcurrency": (SUPPORTED, ""),
    "InvokeWithResponseStream": (PARTIAL, "The event stream as AWS sends it (`PayloadChunk`s, then `InvokeComplete` with `ErrorCode`, `ErrorDetails`, `LogResult`), so boto3's `invoke_with_response_stream` works; `RequestResponse` and `DryRun`. A runtime that streams (`Lambda-Runtime-Function-Response-Mode: streaming`, e.g. a custom runtime) is read chunk by chunk as it writes, with backpressure, up to 200 MB; a buffered response arrives as one chunk."),
    "Invoke": (SUPPORTED, "`RequestResponse`, `Event` (202 once the event is durable; retries, maximum age and destinations as configured) and `DryRun`, on `$LATEST`, a published version or an alias (`X-Amz-Executed-Version` names the version that ran)."),
    "PutFunctionEventInvokeConfig": (SUPPORTED, "Per function, version or alias; destinations are SQS queues or Lambda functions here (SNS, EventBridge and S3 destinations are refused)."),
    "UpdateFunctionEventInvokeConfig": (SUPPORTED, "Merges with the stored configuration."),
    "GetFunctionEventInvokeConfig": (SUPPORTED, ""),
    "DeleteFunctionEventInvokeConfig": (SUPPORTED, ""),
    "ListFunctionEventInvokeConfigs": (SUPPORTED, "`Marker`/`MaxItems` (at most 50)."),
    "InvokeAsync": (SUPPORTED, "Queued as an `Event` invocation; answers `{\"Status\": 202}`."),
    "CreateEventSourceMapping": (PARTIAL, "SQS queues served here (standard and FIFO): `BatchSize` 1–10,000, `MaximumBatchingWindowInSeconds`, `FunctionResponseTypes` (`ReportBatchItemFailures`), `FilterCriteria`, `ScalingConfig.MaximumConcurrency`, `Enabled`, `Tags`; no batching window on FIFO queues and no `DestinationConfig`, as AWS. Kinesis, DynamoDB Streams, Kafka, MQ and DocumentDB sources are refused."),
    "GetEventSourceMapping": (SUPPORTED, ""),
    "UpdateEventSourceMapping": (SUPPORTED, "Answers `Updating`, `Enabling` or `Disabling`; the pollers restart with the new settings."),
    "DeleteEventSourceMapping": (SUPPORTED, "Answers `Deleting`; the pollers stop."),
    "CreateFunctionUrlConfig": (SUPPORTED, "On the unqualified function or an alias (version numbers and `$LATEST` refused by AWS's pattern); `http://<id>.lambda-url.<region>.localhost:<port>/` (32-character id), or `https://…<--url-domain>/`; AWS's conflict message; `Cors` validated."),
    "GetFunctionUrlConfig": (SUPPORTED, ""),
    "UpdateFunctionUrlConfig": (SUPPORTED, "Omitted fields are kept."),
    "DeleteFunctionUrlConfig": (SUPPORTED, "Also deleted with the function or its alias."),
    "ListFunctionUrlConfigs": (SUPPORTED, "`Marker`/`MaxItems` (at most 50)."),
    "ListEventSourceMappings": (SUPPORTED, "`FunctionName` and `EventSourceArn` filters, `Marker`/`MaxItems` (at most 100)."),
}

# SQS (botocore `sqs` 2012-11-05, JSON protocol): operation -> (status, notes).
SQS_COVERAGE: dict[str, tuple[str, str]] = {
    "CreateQueue": (SUPPORTED, "Standard and FIFO; idempotent with equal attributes, `QueueAlreadyExists` otherwise; SQS's defaults (`MaximumMessageSize` 1 MiB)."),
    "GetQueueUrl": (SUPPORTED, "URLs are `http://<host>/<account>/<name>` on this server."),
    "ListQueues": (SUPPORTED, "Prefix, `MaxResults`/`NextToken`."),
    "GetQueueAttributes": (SUPPORTED, "Counts (`ApproximateNumberOfMessages…`), `QueueArn`, timestamps."),
    "SetQueueAttributes": (SUPPORTED, "`RedrivePolicy` checked (target exists, maxReceiveCount 1–1000); `\"\"` removes it."),
    "DeleteQueue": (SUPPORTED, ""),
    "PurgeQueue": (SUPPORTED, "Also clears FIFO deduplication. One purge per queue a minute (`PurgeQueueInProgress`), as SQS."),
    "SendMessage": (SUPPORTED, "`MD5OfMessageBody`/`MD5OfMessageAttributes` as SQS computes them; delays; FIFO groups, sequence numbers, 5-minute deduplication (explicit or content-based)."),
    "SendMessageBatch": (SUPPORTED, "Per-entry failures with SQS's wording; 10 entries, 1 MiB in all."),
    "ReceiveMessage": (SUPPORTED, "1–10 messages; long polling (up to 20 s) returns as soon as a message arrives; visibility override; system attributes and attribute-name filters; dead-letter moves after `maxReceiveCount`."),
    "DeleteMessage": (SUPPORTED, "An old receipt handle still deletes on a standard queue, as SQS; a FIFO queue's expires with its visibility timeout (AWS's `The receipt handle has expired.`)."),
    "DeleteMessageBatch": (SUPPORTED, ""),
    "ChangeMessageVisibility": (SUPPORTED, ""),
    "ChangeMessageVisibilityBatch": (SUPPORTED, ""),
    "TagQueue": (SUPPORTED, ""),
    "UntagQueue": (SUPPORTED, ""),
    "ListQueueTags": (SUPPORTED, ""),
    "ListDeadLetterSourceQueues": (SUPPORTED, ""),
    "StartMessageMoveTask": (SUPPORTED, "Redrives a dead-letter queue to its messages' source queues (or `DestinationArn`), at most `MaxNumberOfMessagesPerSecond`; one running task per source. Tasks live in memory: a restart ends them (unmoved messages stay in the dead-letter queue)."),
    "ListMessageMoveTasks": (SUPPORTED, ""),
    "CancelMessageMoveTask": (SUPPORTED, ""),
    "AddPermission": (SUPPORTED, "Writes a statement per label into the queue's `Policy` attribute as SQS does (`Already exists` for a taken label). Lambent has one account, so the policy is shown but grants or denies nothing."),
    "RemovePermission": (SUPPORTED, "Removing the last statement removes `Policy`; an unknown label gets SQS's `can't find label`."),
}

# CloudWatch Logs (botocore `logs` 2014-03-28, JSON 1.1): operation -> (status, notes).
SCHEDULER_COVERAGE: dict[str, tuple[str, str]] = {
    "CreateSchedule": (SUPPORTED, "`rate()`, `cron()` (AWS's six fields: `?`, `L`, `W`, `#`, years) and `at()`, in any IANA `ScheduleExpressionTimezone` (daylight-saving gaps skipped, repeats fired once); `StartDate`/`EndDate`, `State`, `ActionAfterCompletion` (`DELETE` removes a completed one-time schedule); targets: Lambda functions (an asynchronous invocation) and SQS queues; `Target.Input` with the `<aws.scheduler.*>` placeholders; an SQS `DeadLetterConfig` takes a delivery that fails; `FlexibleTimeWindow` is validated but fires at the scheduled time; `KmsKeyArn` kept, unused."),
    "GetSchedule": (SUPPORTED, ""),
    "UpdateSchedule": (SUPPORTED, "Replaces the schedule, as AWS does; a `rate()` keeps counting from its start unless the expression or `StartDate` changes."),
    "DeleteSchedule": (SUPPORTED, ""),
    "ListSchedules": (SUPPORTED, "`GroupName`, `NamePrefix`, `State`, pagination."),
    "CreateScheduleGroup": (SUPPORTED, ""),
    "GetScheduleGroup": (SUPPORTED, "`default` exists without being created."),
    "DeleteScheduleGroup": (SUPPORTED, "Deletes the group's schedules with it (at once; AWS does it in the background)."),
    "ListScheduleGroups": (SUPPORTED, ""),
    "TagResource": (PARTIAL, "Schedule groups (AWS tags schedule groups only)."),
    "UntagResource": (PARTIAL, "Schedule groups."),
    "ListTagsForResource": (PARTIAL, "Schedule groups."),
}

EVENTS_COVERAGE: dict[str, tuple[str, str]] = {
    "PutRule": (PARTIAL, "`ScheduleExpression` rules on the `default` bus fire (`rate()`, `cron()` in UTC); rules with only an `EventPattern` are kept (the pattern checked: `InvalidEventPatternException`), but nothing emits events for them to match; `Tags`."),
    "DescribeRule": (SUPPORTED, ""),
    "ListRules": (SUPPORTED, "`NamePrefix`, pagination."),
    "EnableRule": (SUPPORTED, ""),
    "DisableRule": (SUPPORTED, ""),
    "DeleteRule": (SUPPORTED, "Refused while the rule has targets, unless `Force`, as AWS does."),
    "PutTargets": (PARTIAL, "Lambda functions (an asynchronous invocation) and SQS queues, at most 5; ids validated as AWS does; `Input`, else AWS's \"Scheduled Event\"; `InputPath` and transformers are kept, not applied."),
    "RemoveTargets": (SUPPORTED, ""),
    "ListTargetsByRule": (SUPPORTED, ""),
}

# S3 (botocore `s3` 2006-03-01, REST-XML): operation -> (status, notes). Everything not named
# here is forwarded to the object store as it is and answered by it.
FORWARDED = "Forwarded to the object store and answered by it (SeaweedFS by default); not tested by Lambent."
S3_TESTED = "Verified by Lambent, forwarded to the object store."
S3_COVERAGE: dict[str, tuple[str, str]] = {
    "CreateBucket": (SUPPORTED, "Bucket names checked as S3 checks them (`InvalidBucketName`) before the store sees them; re-creating one's own bucket is 200 in us-east-1, `BucketAlreadyOwnedByYou` elsewhere. Functions' credentials may not."),
    "DeleteBucket": (SUPPORTED, "Refused while not empty (`BucketNotEmpty`); the bucket's notification configuration goes with it."),
    "HeadBucket": (SUPPORTED, S3_TESTED),
    "ListBuckets": (SUPPORTED, S3_TESTED + " Functions' credentials may not."),
    "ListObjects": (SUPPORTED, "`Prefix`, `Delimiter`, `Marker`, `MaxKeys`."),
    "ListObjectsV2": (SUPPORTED, "`Prefix`, `Delimiter`, `ContinuationToken`, `StartAfter`, `MaxKeys`."),
    "PutObject": (SUPPORTED, "Streamed (never buffered whole); the declared `x-amz-content-sha256` is checked as the body passes (the last buffer is held until it matches, so a mismatch stores nothing: `XAmzContentSHA256Mismatch`); `aws-chunked` bodies (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, `…-TRAILER`, `STREAMING-UNSIGNED-PAYLOAD-TRAILER`) decoded with every chunk's signature checked; 5 GiB at most (`EntityTooLarge`); keys of 1,024 bytes at most (`KeyTooLongError`); never into a missing bucket (`NoSuchBucket`); `Transfer-Encoding: chunked` without `aws-chunked` is 501 `NotImplemented` as on S3. With SeaweedFS, bytes under a key ending in `/` are refused (501) rather than dropped. Raises `s3:ObjectCreated:Put`."),
    "GetObject": (SUPPORTED, "Streamed; `Range`, conditions, the `response-*` overrides, presigned URLs (SigV4, and SigV2 as `aws s3 presign` makes them)."),
    "HeadObject": (SUPPORTED, S3_TESTED),
    "CopyObject": (SUPPORTED, "ETag quoted as S3 writes it. Raises `s3:ObjectCreated:Copy`."),
    "DeleteObject": (SUPPORTED, "Raises `s3:ObjectRemoved:Delete`."),
    "DeleteObjects": (SUPPORTED, "Raises `s3:ObjectRemoved:Delete` for each key deleted (quiet or not)."),
    "CreateMultipartUpload": (SUPPORTED, S3_TESTED),
    "UploadPart": (SUPPORTED, "Streamed and checked as `PutObject`."),
    "CompleteMultipartUpload": (SUPPORTED, "Raises `s3:ObjectCreated:CompleteMultipartUpload` (not when the store answers 200 with an `<Error>`)."),
    "AbortMultipartUpload": (SUPPORTED, S3_TESTED),
    "ListParts": (SUPPORTED, S3_TESTED),
    "PutBucketNotificationConfiguration": (SUPPORTED, "Lambent's own (the store never sees it): `QueueConfigurations` (queues here) and `LambdaFunctionConfigurations` (a function whose policy lets `s3.amazonaws.com` invoke it for this bucket), events `s3:ObjectCreated:*`/`Put`/`Post`/`Copy`/`CompleteMultipartUpload` and `s3:ObjectRemoved:*`/`Delete` raised (the other event names AWS defines are accepted, never raised), `prefix`/`suffix` filters (case-insensitive names), AWS's errors for unparseable ARNs, missing destinations and overlapping filters, `SkipDestinationValidation`; sends `s3:TestEvent` to queues. Topic (SNS) and EventBridge destinations are refused: Lambent does not run them."),
    "GetBucketNotificationConfiguration": (SUPPORTED, "Lambent's own."),
    "PutBucketNotification": (NOT_YET, "The deprecated form; use PutBucketNotificationConfiguration."),
    "GetBucketNotification": (NOT_YET, "The deprecated form."),
    "WriteGetObjectResponse": (NOT_YET, "S3 Object Lambda."),
    "CreateSession": (NOT_YET, "S3 Express One Zone."),
    "ListDirectoryBuckets": (NOT_YET, "S3 Express One Zone."),
    "RestoreObject": (NOT_YET, "No archive storage classes."),
}

LOGS_COVERAGE: dict[str, tuple[str, str]] = {
    "CreateLogGroup": (SUPPORTED, "Names checked as AWS checks them (512 characters, `[.-_/#A-Za-z0-9]`); `tags`, `kmsKeyId` (kept, not used: nothing is encrypted), `logGroupClass`."),
    "DeleteLogGroup": (SUPPORTED, "With its streams and events. A function's group comes back with its next output, as on AWS."),
    "DescribeLogGroups": (SUPPORTED, "`logGroupNamePrefix` or `logGroupNamePattern` (case-insensitive), `limit` 1–50, `nextToken`. `storedBytes` is always 0."),
    "ListLogGroups": (PARTIAL, "`logGroupNamePattern`, `limit`, `nextToken`; no account or class filters."),
    "CreateLogStream": (SUPPORTED, ""),
    "DeleteLogStream": (SUPPORTED, "With its events."),
    "DescribeLogStreams": (SUPPORTED, "`logGroupName` or `logGroupIdentifier` (name or ARN), `logStreamNamePrefix`, `orderBy` `LogStreamName`/`LastEventTime`, `descending`, `limit` 1–50, `nextToken`."),
    "PutLogEvents": (SUPPORTED, "Order and 24-hour span checked; events over 2 hours ahead, over 14 days old or past the retention are rejected in `rejectedLogEventsInfo`, as AWS does; 10,000 events and 1 MB per call. `sequenceToken` is ignored, as AWS now ignores it."),
    "GetLogEvents": (SUPPORTED, "`startTime`/`endTime`, `startFromHead`, `limit` up to 10,000, `f/…` and `b/…` tokens (the forward token repeats at the end, as the CLI's paginator expects)."),
    "FilterLogEvents": (PARTIAL, "`logStreamNames` or `logStreamNamePrefix`, `startTime`/`endTime`, `limit`, `nextToken` (at most 10,000 events read per call). Filter patterns: terms, quoted phrases, `?` alternatives, `-` exclusions, and JSON patterns (`{ $.a.b[0] = \"x*\" }`, numeric comparisons, `IS NULL`, `NOT EXISTS`, `&&`, `||`, parentheses); space-delimited patterns (`[a, b]`) and regular expressions are refused as invalid."),
    "PutRetentionPolicy": (SUPPORTED, "AWS's allowed values; enforced: older events are deleted at once and then every minute."),
    "DeleteRetentionPolicy": (SUPPORTED, ""),
    "TagLogGroup": (SUPPORTED, ""),
    "UntagLogGroup": (SUPPORTED, ""),
    "ListTagsLogGroup": (SUPPORTED, ""),
    "TagResource": (SUPPORTED, "Log group ARNs."),
    "UntagResource": (SUPPORTED, "Log group ARNs."),
    "ListTagsForResource": (SUPPORTED, "Log group ARNs."),
}

CLOUDWATCH_COVERAGE: dict[str, tuple[str, str]] = {
    "GetMetricStatistics": (SUPPORTED, "`Statistics` and percentile `ExtendedStatistics` (`p0`–`p100`, within about 1 %), `Period` 60 or a multiple (1–30 read as 60: points are kept per minute), `Unit`, 1,440 datapoints at most; periods start at `StartTime` rounded down to the minute."),
    "GetMetricData": (PARTIAL, "`MetricStat` queries (up to 500; `Stat` a statistic or `pNN`), `Label`, `ReturnData`, `ScanBy`, `MaxDatapoints` with `NextToken` (`PartialData`); metric math and Metrics Insights `Expression`s are refused."),
    "ListMetrics": (SUPPORTED, "`Namespace`, `MetricName`, `Dimensions` filters (name, or name and value), `RecentlyActive` `PT3H`, 500 per page with `NextToken`."),
    "PutMetricData": (PARTIAL, "`Value`, `Values`/`Counts`, `StatisticValues`, `Unit`, `Timestamp` (two weeks back to two hours ahead), up to 30 dimensions and 1,000 metrics a call, gzip bodies; `AWS/` namespaces refused; `StorageResolution` 1 is kept per minute; `EntityMetricData` ignored. Functions may call it with their own credentials."),
}

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "api-coverage.md"
SERVICE = ("lambda", "2015-03-31")


def load_operations(service: tuple[str, str] = SERVICE) -> dict:
    model = Loader().load_service_model(service[0], "service-2", api_version=service[1])
    return model["operations"]


def escape(text: str) -> str:
    return text.replace("|", "\\|")


def render(operations: dict) -> str:
    unknown = sorted(set(COVERAGE) - set(operations))
    if unknown:
        sys.exit(f"COVERAGE names operations botocore does not know: {', '.join(unknown)}")

    counts = {SUPPORTED: 0, PARTIAL: 0, NOT_YET: 0}
    rows = []
    for name in sorted(operations):
        http = operations[name]["http"]
        status, notes = COVERAGE.get(name, (NOT_YET, ""))
        if operations[name].get("deprecated"):
            notes = " ".join(filter(None, ["Deprecated by AWS.", notes]))
        counts[status] += 1
        rows.append(
            f"| {name} | `{http['method']} {escape(http['requestUri'])}` | {status} | {escape(notes)} |")

    lines = [
        "# Lambda API coverage",
        "",
        "<!-- Generated by scripts/gen-api-coverage.py; do not edit by hand. -->",
        "",
        "Every operation of the AWS Lambda API (`lambda` `2015-03-31`) as botocore "
        f"{botocore.__version__} describes it, with Lambent's support for it. The table is "
        "generated: the operations, methods and paths come from botocore's service model "
        "(`botocore/data/lambda/2015-03-31/service-2.json`), the status and notes from the "
        "`COVERAGE` table at the top of `scripts/gen-api-coverage.py`. To change a row, edit "
        "that table and run `python3 scripts/gen-api-coverage.py`.",
        "",
        "- **supported**: implemented with AWS's request and response fields, status codes and errors.",
        "- **partial**: implemented for the cases the notes name only.",
        "- **not yet**: not implemented.",
        "",
        f"{len(operations)} operations: {counts[SUPPORTED]} supported, {counts[PARTIAL]} partial, "
        f"{counts[NOT_YET]} not yet.",
        "",
        "| Operation | HTTP | Status | Notes |",
        "|---|---|---|---|",
        *rows,
        "",
        *render_service("SQS", SQS_COVERAGE, load_operations(("sqs", "2012-11-05")),
                        "The SQS operations Lambent serves on the same port (botocore `sqs` `2012-11-05`: JSON protocol, "
                        "`POST /` with `X-Amz-Target: AmazonSQS.<Operation>`, told apart from Lambda by the SigV4 credential "
                        "scope), from the `SQS_COVERAGE` table of the same script."),
        *render_service("CloudWatch Logs", LOGS_COVERAGE, load_operations(("logs", "2014-03-28")),
                        "The CloudWatch Logs operations Lambent serves on the same port (botocore `logs` `2014-03-28`: JSON 1.1, "
                        "`POST /` with `X-Amz-Target: Logs_20140328.<Operation>`, SigV4 service `logs`), from the "
                        "`LOGS_COVERAGE` table of the same script. Functions' output lands in `/aws/lambda/<name>` (or the "
                        "function's `LoggingConfig.LogGroup`), in streams named as Lambda names them."),
        *render_service("CloudWatch metrics", CLOUDWATCH_COVERAGE, load_operations(("cloudwatch", "2010-08-01")),
                        "The CloudWatch metric operations Lambent serves on the same port (botocore `cloudwatch` `2010-08-01`, "
                        "SigV4 service `monitoring`) in both protocols its clients speak: JSON 1.0 (`POST /` with "
                        "`X-Amz-Target: GraniteServiceVersion20100801.<Operation>`, which botocore and the aws CLI send) and "
                        "Smithy RPC v2 CBOR (`POST /service/GraniteServiceVersion20100801/operation/<Operation>`), from the "
                        "`CLOUDWATCH_COVERAGE` table of the same script. Lambda's own metrics are in namespace `AWS/Lambda` "
                        "(docs/SPECIFICATION.md, Metrics); alarms, dashboards, streams and insight rules are not served."),
        *render_service("EventBridge Scheduler", SCHEDULER_COVERAGE, load_operations(("scheduler", "2021-06-30")),
                        "The EventBridge Scheduler operations Lambent serves on the same port (botocore `scheduler` "
                        "`2021-06-30`: REST-JSON under `/schedules`, `/schedule-groups` and `/tags`, SigV4 service "
                        "`scheduler`), from the `SCHEDULER_COVERAGE` table of the same script. Schedules are kept in the "
                        "store and fired by the server itself (docs/SPECIFICATION.md, Schedules)."),
        *render_service("S3", {name: S3_COVERAGE.get(name, (PARTIAL, FORWARDED)) for name in load_operations(("s3", "2006-03-01"))},
                        load_operations(("s3", "2006-03-01")),
                        "The S3 operations Lambent serves on the same port (botocore `s3` `2006-03-01`: REST-XML, path-style "
                        "`/<bucket>/<key>` or virtual-hosted `<bucket>.s3.<domain>`, SigV4 service `s3`: header signatures, "
                        "presigned URLs, `aws-chunked` uploads), from the `S3_COVERAGE` table of the same script. Lambent checks "
                        "the signature, holds functions' credentials to object operations, answers bucket notifications itself, "
                        "and streams everything else to the object store, re-signed with the store's own key: so an operation "
                        "not named in the table is whatever the store makes of it. Browser-based uploads (POST Object: an HTML "
                        "form posted to the bucket's URL with a SigV4 or Signature Version 2 POST policy, as boto3's "
                        "`generate_presigned_post` makes them), which botocore's model does not name, are served too: the "
                        "signature, expiration and conditions (`eq`, `starts-with`, `content-length-range`, every field "
                        "named) checked with S3's errors, `${filename}`, `success_action_status` and "
                        "`success_action_redirect`, files up to 5 GiB as on S3 (read as they arrive; large ones spooled to disk, not memory); they raise `s3:ObjectCreated:Post` "
                        "(docs/SPECIFICATION.md, S3)."),
        *render_service("EventBridge", EVENTS_COVERAGE, load_operations(("events", "2015-10-07")),
                        "The EventBridge operations Lambent serves on the same port (botocore `events` `2015-10-07`: JSON 1.1, "
                        "`POST /` with `X-Amz-Target: AWSEvents.<Operation>`, SigV4 service `events`), for rules that run on "
                        "a schedule, from the `EVENTS_COVERAGE` table of the same script."),
    ]
    return "\n".join(lines)


def render_service(title: str, table: dict[str, tuple[str, str]], operations: dict, description: str) -> list[str]:
    """A neighbouring service's coverage: every operation of its botocore model, from `table`."""
    unknown = sorted(set(table) - set(operations))
    if unknown:
        sys.exit(f"the {title} table names operations botocore does not know: {', '.join(unknown)}")
    counts = {SUPPORTED: 0, PARTIAL: 0, NOT_YET: 0}
    rows = []
    for name in sorted(operations):
        status, notes = table.get(name, (NOT_YET, ""))
        counts[status] += 1
        rows.append(f"| {name} | {status} | {escape(notes)} |")
    return [
        f"# {title} API coverage",
        "",
        description,
        "",
        f"{len(operations)} operations: {counts[SUPPORTED]} supported, {counts[PARTIAL]} partial, {counts[NOT_YET]} not yet.",
        "",
        "| Operation | Status | Notes |",
        "|---|---|---|",
        *rows,
        "",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the file differs from what would be generated")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    text = render(load_operations())
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run scripts/gen-api-coverage.py", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
