"""Concurrency limits: reserved concurrency, the account limit, and throttling (429)."""

import threading

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, http_status, invoke


def invoke_concurrently(client, name, events):
    """Invoke once per event, all at the same time; returns (Invocation | ClientError) per event."""
    results = [None] * len(events)
    barrier = threading.Barrier(len(events))

    def run(index, event):
        barrier.wait()
        try:
            results[index] = invoke(client, name, event)
        except ClientError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, e)) for i, e in enumerate(events)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def throttles(results):
    return [r for r in results if isinstance(r, ClientError)]


def test_reserved_concurrency_api_round_trip(lambda_client, function):
    """Put, Get and Delete FunctionConcurrency; GetFunction shows the reservation."""
    name = function("probe")["FunctionName"]
    assert lambda_client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions") is None
    put = lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert put["ReservedConcurrentExecutions"] == 5
    assert lambda_client.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5
    assert lambda_client.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    settings = lambda_client.get_account_settings()["AccountLimit"]
    assert settings["UnreservedConcurrentExecutions"] <= settings["ConcurrentExecutions"] - 5
    lambda_client.delete_function_concurrency(FunctionName=name)
    assert lambda_client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions") is None
    assert "Concurrency" not in lambda_client.get_function(FunctionName=name)


def test_reservation_may_not_eat_the_unreserved_minimum(lambda_client, function):
    """A reservation leaving fewer than 100 unreserved executions is refused, as on AWS."""
    name = function("probe")["FunctionName"]
    limit = lambda_client.get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    with pytest.raises(ClientError) as raised:
        lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=limit)
    assert error_code(raised.value) == "InvalidParameterValueException"
    assert raised.value.response["Error"]["Message"] == (
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [100].")


def test_reserved_concurrency_one_throttles_the_second_concurrent_invoke(lambda_client, function):
    """Reserved concurrency 1 and two concurrent slow invokes: one 200, one 429 with AWS's Reason."""
    name = function("probe")["FunctionName"]
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    results = invoke_concurrently(lambda_client, name, [{"action": "sleep", "seconds": 2}] * 2)
    refused = throttles(results)
    assert len(refused) == 1, results
    error = refused[0]
    assert http_status(error) == 429
    assert error_code(error) == "TooManyRequestsException"
    assert error.response["Error"]["Message"] == "Rate Exceeded."
    assert error.response.get("Reason") == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert error.response["ResponseMetadata"]["HTTPHeaders"].get("retry-after")
    succeeded = [r for r in results if not isinstance(r, ClientError)]
    assert succeeded[0].status == 200 and succeeded[0].function_error is None
    # Once the first is done, the function runs again.
    assert invoke(lambda_client, name, {"action": "echo"}).status == 200


def test_reserved_concurrency_zero_throttles_every_invoke(lambda_client, function):
    """Reserved concurrency 0 stops the function: every invoke is 429."""
    name = function("probe")["FunctionName"]
    lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    for _ in range(2):
        with pytest.raises(ClientError) as raised:
            invoke(lambda_client, name, {"action": "echo"})
        assert http_status(raised.value) == 429
        assert raised.value.response.get("Reason") == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lambda_client.delete_function_concurrency(FunctionName=name)
    assert invoke(lambda_client, name, {"action": "echo"}).status == 200


def test_account_limit_throttles_unreserved_functions(start_server):
    """With --concurrency-limit 2, a third concurrent invoke is 429 ConcurrentInvocationLimitExceeded."""
    server = start_server(extra_args=["--concurrency-limit", "2"])
    try:
        client = server.client()
        settings = client.get_account_settings()["AccountLimit"]
        assert settings["ConcurrentExecutions"] == 2
        assert settings["UnreservedConcurrentExecutions"] == 2
        from conftest import ROLE, RUNTIME, zip_function
        name = "account-limit-probe"
        client.create_function(FunctionName=name, Runtime=RUNTIME, Role=ROLE, Handler="app.handler",
                               Code={"ZipFile": zip_function("probe")}, Timeout=30)
        client.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1})
        results = invoke_concurrently(client, name, [{"action": "sleep", "seconds": 2}] * 3)
        refused = throttles(results)
        assert len(refused) == 1, results
        assert refused[0].response.get("Reason") == "ConcurrentInvocationLimitExceeded"
        assert all(r.status == 200 for r in results if not isinstance(r, ClientError))
    finally:
        assert server.terminate() == 0
