"""CloudWatch metrics (service `monitoring`): AWS/Lambda metrics of invocations read with
GetMetricData, GetMetricStatistics and ListMetrics through boto3, the aws CLI and a CBOR
client; clients' own metrics with PutMetricData; AWS's refusals.

Ground truth: test_cloudwatch_metrics's recordings (Invocations and Errors through
get-metric-data, Label = metric name, StatusCode Complete, Messages empty).
"""

from __future__ import annotations

import copy
import datetime
import gzip
import json
import uuid

import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.loaders
import botocore.session
import pytest
from botocore.exceptions import ClientError

from conftest import error_code, invoke, make_zip

OK = "def handler(event, context):\n    if event.get('fail'):\n        raise Exception('fail on purpose')\n    return {'success': 'ok'}\n"


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def window() -> dict:
    return {"StartTime": now() - datetime.timedelta(minutes=10), "EndTime": now() + datetime.timedelta(minutes=1)}


def query(name: str, metric: str, stat: str = "Sum", dimensions: dict | None = None, period: int = 3600, id: str = "m1") -> dict:
    dims = [{"Name": key, "Value": value} for key, value in (dimensions or {"FunctionName": name}).items()]
    return {"Id": id, "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": metric, "Dimensions": dims},
                                     "Period": period, "Stat": stat}}


@pytest.fixture
def cloudwatch(server):
    return server.client(service="cloudwatch")


def test_invocations_and_errors_through_get_metric_data_as_recorded(function, lambda_client, cloudwatch):
    name = function(zip_bytes=make_zip({"app.py": OK}))["FunctionName"]
    assert invoke(lambda_client, name, {}).payload == {"success": "ok"}
    assert invoke(lambda_client, name, {"fail": True}).function_error == "Unhandled"
    answer = cloudwatch.get_metric_data(MetricDataQueries=[query(name, "Invocations")], **window())
    results = answer["MetricDataResults"]
    assert answer["Messages"] == []
    assert len(results) == 1
    assert results[0]["Id"] == "m1" and results[0]["Label"] == "Invocations" and results[0]["StatusCode"] == "Complete"
    assert results[0]["Values"] == [2.0] and len(results[0]["Timestamps"]) == 1
    errors = cloudwatch.get_metric_data(MetricDataQueries=[query(name, "Errors", id="e1")], **window())["MetricDataResults"]
    assert errors[0]["Label"] == "Errors" and errors[0]["Values"] == [1.0]


def test_get_metric_statistics_sums_match_the_invocations_made(function, lambda_client, aws):
    name = function(zip_bytes=make_zip({"app.py": OK}))["FunctionName"]
    for n in range(5):
        invoke(lambda_client, name, {"fail": n < 2})
    start = (now() - datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now() + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    common = ["--namespace", "AWS/Lambda", "--dimensions", f"Name=FunctionName,Value={name}",
              "--start-time", start, "--end-time", end, "--period", "3600"]
    invocations = aws("cloudwatch", "get-metric-statistics", "--metric-name", "Invocations", "--statistics", "Sum", *common)
    assert invocations["Label"] == "Invocations"
    assert [point["Sum"] for point in invocations["Datapoints"]] == [5.0]
    assert invocations["Datapoints"][0]["Unit"] == "Count"
    errors = aws("cloudwatch", "get-metric-statistics", "--metric-name", "Errors", "--statistics", "Sum", "Average", "SampleCount", *common)
    point = errors["Datapoints"][0]
    assert (point["Sum"], point["SampleCount"], point["Average"]) == (2.0, 5.0, 0.4)
    duration = aws("cloudwatch", "get-metric-statistics", "--metric-name", "Duration", "--statistics", "Minimum", "Maximum",
                   "SampleCount", "--extended-statistics", "p50", "p99", *common)["Datapoints"][0]
    assert duration["Unit"] == "Milliseconds" and duration["SampleCount"] == 5.0
    assert 0 < duration["Minimum"] <= duration["ExtendedStatistics"]["p50"] <= duration["ExtendedStatistics"]["p99"] <= duration["Maximum"]


def test_versions_and_aliases_have_resource_and_executed_version_series(function, lambda_client, cloudwatch):
    name = function(zip_bytes=make_zip({"app.py": OK}))["FunctionName"]
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    invoke(lambda_client, name, {}, Qualifier="live")
    invoke(lambda_client, name, {}, Qualifier="live")
    invoke(lambda_client, name, {})
    by = {"FunctionName": name}
    queries = [query(name, "Invocations", dimensions=by, id="all"),
               query(name, "Invocations", dimensions={**by, "Resource": f"{name}:live"}, id="alias"),
               query(name, "Invocations", dimensions={**by, "Resource": name}, id="bare"),
               query(name, "Invocations", dimensions={**by, "Resource": f"{name}:live", "ExecutedVersion": version}, id="version")]
    results = {r["Id"]: r["Values"] for r in cloudwatch.get_metric_data(MetricDataQueries=queries, **window())["MetricDataResults"]}
    assert results == {"all": [3.0], "alias": [2.0], "bare": [1.0], "version": [2.0]}
    listed = cloudwatch.list_metrics(Namespace="AWS/Lambda", MetricName="Invocations",
                                     Dimensions=[{"Name": "FunctionName", "Value": name}])["Metrics"]
    dimension_sets = sorted(tuple(sorted(d["Name"] for d in m["Dimensions"])) for m in listed)
    assert dimension_sets == [("ExecutedVersion", "FunctionName", "Resource"), ("FunctionName",),
                              ("FunctionName", "Resource"), ("FunctionName", "Resource")]
    assert all(m["Namespace"] == "AWS/Lambda" and m["MetricName"] == "Invocations" for m in listed)
    active = cloudwatch.list_metrics(Namespace="AWS/Lambda", Dimensions=[{"Name": "FunctionName", "Value": name}],
                                     RecentlyActive="PT3H")["Metrics"]
    assert {m["MetricName"] for m in active} == {"Invocations", "Errors", "Duration", "ConcurrentExecutions"}


def test_throttles_are_counted(function, lambda_client, cloudwatch):
    name = function(zip_bytes=make_zip({"app.py": OK}))["FunctionName"]
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as raised:
        lambda_client.invoke(FunctionName=name, Payload=b"{}")
    assert error_code(raised.value) == "TooManyRequestsException"
    results = cloudwatch.get_metric_data(MetricDataQueries=[query(name, "Throttles")], **window())["MetricDataResults"]
    assert results[0]["Values"] == [1.0]


def test_put_metric_data_then_read_it_back(cloudwatch):
    namespace = f"Lambent/E2E/{uuid.uuid4().hex[:8]}"
    dims = [{"Name": "Shop", "Value": "north"}]
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Orders", "Dimensions": dims, "Value": 3, "Unit": "Count"},
        {"MetricName": "Orders", "Dimensions": dims, "Values": [1, 2], "Counts": [2, 1], "Unit": "Count"},
        {"MetricName": "Latency", "Dimensions": dims, "Unit": "Milliseconds",
         "StatisticValues": {"SampleCount": 4, "Sum": 40, "Minimum": 5, "Maximum": 20}},
    ])
    stats = cloudwatch.get_metric_statistics(Namespace=namespace, MetricName="Orders", Dimensions=dims, Period=60,
                                             Statistics=["Sum", "SampleCount", "Maximum"], **window())["Datapoints"]
    assert sum(p["Sum"] for p in stats) == 7.0 and sum(p["SampleCount"] for p in stats) == 4.0
    latency = cloudwatch.get_metric_statistics(Namespace=namespace, MetricName="Latency", Dimensions=dims, Period=3600,
                                               Statistics=["Average", "Minimum", "Maximum"], **window())["Datapoints"]
    assert [(p["Average"], p["Minimum"], p["Maximum"], p["Unit"]) for p in latency] == [(10.0, 5.0, 20.0, "Milliseconds")]
    # Another unit reads nothing, as on AWS.
    assert cloudwatch.get_metric_statistics(Namespace=namespace, MetricName="Latency", Dimensions=dims, Period=3600,
                                            Statistics=["Sum"], Unit="Seconds", **window())["Datapoints"] == []
    # Over 10 KiB, botocore gzips the body (Content-Encoding: gzip).
    many = [{"MetricName": "Bulk", "Dimensions": dims + [{"Name": "Item", "Value": f"item-{n:04d}-" + "x" * 40}], "Value": n}
            for n in range(300)]
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=many)
    listed = cloudwatch.list_metrics(Namespace=namespace, MetricName="Bulk")["Metrics"]
    assert len(listed) == 300


def test_list_metrics_pages_at_500(cloudwatch):
    namespace = f"Lambent/E2E/{uuid.uuid4().hex[:8]}"
    for batch in range(2):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
            {"MetricName": "M", "Dimensions": [{"Name": "N", "Value": str(batch * 1000 + n)}], "Value": 1} for n in range(300)])
    first = cloudwatch.list_metrics(Namespace=namespace)
    assert len(first["Metrics"]) == 500 and "NextToken" in first
    second = cloudwatch.list_metrics(Namespace=namespace, NextToken=first["NextToken"])
    assert len(second["Metrics"]) == 100 and "NextToken" not in second
    pages = list(cloudwatch.get_paginator("list_metrics").paginate(Namespace=namespace))
    assert sum(len(page["Metrics"]) for page in pages) == 600


def test_get_metric_data_scan_order_and_pages(cloudwatch):
    namespace = f"Lambent/E2E/{uuid.uuid4().hex[:8]}"
    base = now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Steps", "Timestamp": base + datetime.timedelta(minutes=n), "Value": n} for n in range(4)])
    stat = {"Metric": {"Namespace": namespace, "MetricName": "Steps"}, "Period": 60, "Stat": "Maximum"}
    span = {"StartTime": base, "EndTime": base + datetime.timedelta(minutes=4)}
    newest_first = cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "a", "MetricStat": stat}], **span)["MetricDataResults"][0]
    assert newest_first["Values"] == [3.0, 2.0, 1.0, 0.0]
    oldest_first = cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "a", "MetricStat": stat, "Label": "steps"}],
                                              ScanBy="TimestampAscending", **span)["MetricDataResults"][0]
    assert oldest_first["Values"] == [0.0, 1.0, 2.0, 3.0] and oldest_first["Label"] == "steps"
    assert [t.timestamp() for t in oldest_first["Timestamps"]] == [(base + datetime.timedelta(minutes=n)).timestamp() for n in range(4)]
    page = cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "a", "MetricStat": stat}], MaxDatapoints=3, **span)
    assert page["MetricDataResults"][0]["Values"] == [3.0, 2.0, 1.0] and page["MetricDataResults"][0]["StatusCode"] == "PartialData"
    rest = cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "a", "MetricStat": stat}], MaxDatapoints=3, NextToken=page["NextToken"],
                                      **span)
    assert rest["MetricDataResults"][0]["Values"] == [0.0] and "NextToken" not in rest
    hidden = cloudwatch.get_metric_data(MetricDataQueries=[{"Id": "a", "MetricStat": stat, "ReturnData": False}], **span)
    assert hidden["MetricDataResults"] == []


def expect(code: str, call, **params) -> str:
    with pytest.raises(ClientError) as raised:
        call(**params)
    assert error_code(raised.value) == code, raised.value.response
    return raised.value.response["Error"]["Message"]


def test_bad_requests_get_cloudwatch_errors(cloudwatch):
    metric = {"Namespace": "AWS/Lambda", "MetricName": "Invocations"}
    message = expect("InvalidParameterCombination", cloudwatch.get_metric_statistics, **metric, Period=60, Statistics=["Sum"],
                     StartTime=now() - datetime.timedelta(days=2), EndTime=now())
    assert message == ("You have requested up to 2880 datapoints, which exceeds the limit of 1440. "
                       "You may reduce the datapoints requested by increasing Period, or decreasing the time range.")
    expect("InvalidParameterValue", cloudwatch.get_metric_statistics, **metric, Period=61, Statistics=["Sum"], **window())
    expect("InvalidParameterCombination", cloudwatch.get_metric_statistics, **metric, Period=60, **window())
    expect("InvalidParameterValue", cloudwatch.get_metric_statistics, **metric, Period=60, ExtendedStatistics=["q50"], **window())
    expect("InvalidParameterValue", cloudwatch.get_metric_statistics, **metric, Period=60, Statistics=["Sum"],
           StartTime=now(), EndTime=now() - datetime.timedelta(minutes=5))
    stat = {"Metric": metric, "Period": 60, "Stat": "Sum"}
    expect("InvalidParameterValue", cloudwatch.get_metric_data, MetricDataQueries=[{"Id": "Upper", "MetricStat": stat}], **window())
    expect("InvalidParameterValue", cloudwatch.get_metric_data,
           MetricDataQueries=[{"Id": "a", "MetricStat": stat}, {"Id": "a", "MetricStat": stat}], **window())
    expect("InvalidParameterValue", cloudwatch.get_metric_data, MetricDataQueries=[{"Id": "e", "Expression": "SUM(METRICS())"}],
           **window())
    expect("InvalidParameterValue", cloudwatch.get_metric_data,
           MetricDataQueries=[{"Id": "a", "MetricStat": {**stat, "Stat": "Median"}}], **window())
    expect("InvalidNextToken", cloudwatch.get_metric_data, MetricDataQueries=[{"Id": "a", "MetricStat": stat}], NextToken="%%%",
           **window())
    expect("InvalidParameterValue", cloudwatch.put_metric_data, Namespace="AWS/Lambda", MetricData=[{"MetricName": "x", "Value": 1}])
    expect("InvalidParameterCombination", cloudwatch.put_metric_data, Namespace="Mine",
           MetricData=[{"MetricName": "x", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}])
    expect("InvalidParameterValue", cloudwatch.put_metric_data, Namespace="Mine",
           MetricData=[{"MetricName": "x", "Value": 1, "Timestamp": now() - datetime.timedelta(days=15)}])
    expect("InvalidParameterValue", cloudwatch.put_metric_data, Namespace="Mine",
           MetricData=[{"MetricName": "x", "Value": 1, "Dimensions": [{"Name": "a", "Value": "1"}, {"Name": "a", "Value": "2"}]}])
    expect("InvalidParameterValue", cloudwatch.list_metrics, RecentlyActive="PT1H")
    expect("InvalidParameterValue", cloudwatch.list_metrics, NextToken="not-a-token")


def test_a_gzip_bomb_is_refused(server):
    """A compressed body that inflates past the 1 MiB request limit is refused, not inflated."""
    body = gzip.compress(b"{" + b" " * (4 * 1024 * 1024) + b"}")
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=server.endpoint + "/", data=body,
        headers={"Content-Type": "application/x-amz-json-1.0", "Content-Encoding": "gzip",
                 "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"})
    credentials = boto3.session.Session(aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key).get_credentials()
    botocore.auth.SigV4Auth(credentials, "monitoring", "us-east-1").add_auth(request)
    prepared = request.prepare()
    http = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(http, timeout=10)
    assert raised.value.code == 400
    assert raised.value.headers["x-amzn-query-error"] == "InvalidParameterValue;Sender"


def cbor_client(server, tmp_path):
    """A CloudWatch client that speaks Smithy RPC v2 CBOR: botocore's own model with its
    protocol list narrowed to CBOR, loaded from a data path of its own."""
    loader = botocore.loaders.Loader()
    model = copy.deepcopy(loader.load_service_model("cloudwatch", "service-2"))
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    version = model["metadata"]["apiVersion"]
    directory = tmp_path / "models" / "cloudwatch" / version
    directory.mkdir(parents=True)
    (directory / "service-2.json").write_text(json.dumps(model))
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(tmp_path / "models"))
    env = server.env()
    return session.create_client("cloudwatch", endpoint_url=server.endpoint, region_name=env.get("AWS_DEFAULT_REGION", "us-east-1"),
                                 aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])


def test_smithy_rpc_v2_cbor_clients_are_answered_in_cbor(server, function, lambda_client, tmp_path):
    client = cbor_client(server, tmp_path)
    assert client.meta.service_model.protocol == "smithy-rpc-v2-cbor"
    name = function(zip_bytes=make_zip({"app.py": OK}))["FunctionName"]
    invoke(lambda_client, name, {})
    results = client.get_metric_data(MetricDataQueries=[query(name, "Invocations")], **window())["MetricDataResults"]
    assert results[0]["Values"] == [1.0] and isinstance(results[0]["Timestamps"][0], datetime.datetime)
    stats = client.get_metric_statistics(Namespace="AWS/Lambda", MetricName="Invocations", Dimensions=[{"Name": "FunctionName", "Value": name}],
                                         Period=3600, Statistics=["Sum"], **window())
    assert [p["Sum"] for p in stats["Datapoints"]] == [1.0]
    with pytest.raises(ClientError) as raised:
        client.get_metric_statistics(Namespace="AWS/Lambda", MetricName="Invocations", Period=61, Statistics=["Sum"], **window())
    assert error_code(raised.value) == "InvalidParameterValue"
    namespace = f"Lambent/E2E/{uuid.uuid4().hex[:8]}"
    client.put_metric_data(Namespace=namespace, MetricData=[{"MetricName": "Cbor", "Value": 2.5}])
    assert [m["MetricName"] for m in client.list_metrics(Namespace=namespace)["Metrics"]] == ["Cbor"]


FROM_FUNCTION = '''
import boto3
def handler(event, context):
    cloudwatch = boto3.client("cloudwatch")
    cloudwatch.put_metric_data(Namespace=event["namespace"], MetricData=[{"MetricName": "FromFunction", "Value": 1}])
    try:
        cloudwatch.list_metrics()
        return {"listed": True}
    except Exception as error:
        return {"denied": error.response["Error"]["Code"]}
'''


def test_a_function_puts_metric_data_with_its_own_credentials(function, lambda_client, cloudwatch):
    namespace = f"Lambent/E2E/{uuid.uuid4().hex[:8]}"
    name = function(zip_bytes=make_zip({"app.py": FROM_FUNCTION}))["FunctionName"]
    result = invoke(lambda_client, name, {"namespace": namespace})
    assert result.function_error is None, result.payload
    assert result.payload == {"denied": "AccessDenied"}
    assert [m["MetricName"] for m in cloudwatch.list_metrics(Namespace=namespace)["Metrics"]] == ["FromFunction"]
