"""Routes through their real handlers: design, list, read; who may read which route."""
from __future__ import annotations

import pytest

from tests.unit.tasks.helpers import ADMIN, MANAGER, SQUARE, call, courier, task_call

ANA, BEN = courier(1), courier(2)


def create(body, caller=ADMIN, raw_body=None):
    return call("routes.handlers", "create_route", "POST", "/routes", body=body, caller=caller, raw_body=raw_body)


def get(route_id, caller):
    return call("routes.handlers", "get_route", "GET", f"/routes/{route_id}", caller=caller,
                path_params={"routeId": route_id})


def list_page(caller, **query):
    return call("routes.handlers", "list_routes", "GET", "/routes", caller=caller,
                query={k: str(v) for k, v in query.items()} or None)


def test_admin_designs_a_route_and_the_server_computes_its_length(stack):
    status, route = create({"name": "Equator hop", "waypoints": [{"lat": 0, "lng": 0}, {"lat": 0, "lng": 1}]})
    assert status == 201, route
    assert route["lengthM"] == pytest.approx(111195.1, abs=0.1)
    assert route["waypointCount"] == 2 and route["createdBy"] == ADMIN["userId"]
    status, again = get(route["routeId"], MANAGER)
    assert status == 200 and again["waypoints"] == [{"lat": 0, "lng": 0}, {"lat": 0, "lng": 1}]
    assert "listKey" not in again


def test_the_length_follows_the_waypoints_in_order(stack):
    _, square = create({"name": "Square", "waypoints": SQUARE})
    _, back = create({"name": "Back", "waypoints": SQUARE + [{"lat": 0, "lng": 0}]})
    assert square["lengthM"] == pytest.approx(111195.1 + 111178.2, rel=1e-3)
    assert back["lengthM"] > square["lengthM"] + 150_000


def test_a_route_of_1000_waypoints_is_accepted(stack):
    points = [{"lat": round(i * 0.001, 6), "lng": 13.4} for i in range(1000)]
    status, route = create({"name": "Long", "waypoints": points})
    assert status == 201, route
    assert route["waypointCount"] == 1000


@pytest.mark.parametrize("waypoints, fragment", [
    ([{"lat": 0, "lng": 0}], "2 to 1000 points; it has 1"),
    ([{"lat": 0, "lng": 0}] * 1001, "it has 1001"),
    ([{"lat": 91, "lng": 0}, {"lat": 0, "lng": 0}], "'waypoints[0].lat' must be from -90 to 90; got 91"),
    ([{"lat": 0, "lng": 0}, {"lat": 0, "lng": -180.5}], "'waypoints[1].lng' must be from -180 to 180; got -180.5"),
    ([{"lat": 0, "lng": 0}, {"lat": "1", "lng": 0}], "'waypoints[1].lat' must be a number"),
    ([{"lat": 0, "lng": 0}, {"lat": True, "lng": 0}], "'waypoints[1].lat' must be a number"),
    ([{"lat": 0, "lng": 0}, {"lat": 1}], "'waypoints[1].lng' is required"),
    ([{"lat": 0, "lng": 0}, {"lat": 1, "lng": 1, "alt": 3}], "'waypoints[1]' has unknown field(s) alt"),
    ([{"lat": 0, "lng": 0}, [1, 1]], "'waypoints[1]' must be an object"),
    ("0,0;1,1", "'waypoints' must be a list of {lat, lng} objects; got \"0,0;1,1\""),
])
def test_invalid_waypoints_are_a_400_naming_the_field(stack, waypoints, fragment):
    status, body = create({"name": "Bad", "waypoints": waypoints})
    assert status == 400, body
    assert fragment in body["error"]["message"]


def test_nan_and_infinity_are_refused(stack):
    for literal in ("NaN", "Infinity", "-Infinity"):
        raw = '{"name": "x", "waypoints": [{"lat": 0, "lng": 0}, {"lat": %s, "lng": 0}]}' % literal
        status, body = create(None, raw_body=raw)
        assert status == 400, (literal, body)
        assert "'waypoints[1].lat' must be a finite number" in body["error"]["message"]


@pytest.mark.parametrize("body, fragment", [
    ({"waypoints": SQUARE}, "'name' is required"),
    ({"name": "  ", "waypoints": SQUARE}, "'name' must be a string with more than spaces"),
    ({"name": "x" * 201, "waypoints": SQUARE}, "'name' must have at most 200"),
    ({"name": "x", "waypoints": SQUARE, "colour": "red"}, "Unknown field(s) colour"),
])
def test_bad_names_and_unknown_fields_are_a_400(stack, body, fragment):
    status, answer = create(body)
    assert status == 400 and fragment in answer["error"]["message"]


@pytest.mark.parametrize("caller", [MANAGER, ANA], ids=["manager", "courier"])
def test_only_admins_design_routes(stack, caller):
    status, body = create({"name": "x", "waypoints": SQUARE}, caller=caller)
    assert status == 403 and "Only admin" in body["error"]["message"]


def test_routes_list_newest_first_page_by_page(stack):
    made = [create({"name": f"r{i}", "waypoints": SQUARE})[1]["routeId"] for i in range(5)]
    seen, query = [], {"limit": 2}
    while True:
        status, body = list_page(MANAGER, **query)
        assert status == 200, body
        assert all("waypoints" not in item for item in body["items"])
        seen += [item["routeId"] for item in body["items"]]
        if not body["nextCursor"]:
            break
        query["cursor"] = body["nextCursor"]
    assert seen == list(reversed(made))


def test_couriers_may_not_list_routes(stack):
    status, body = list_page(ANA)
    assert status == 403


@pytest.mark.parametrize("cursor", ["garbage!!", "e30", "eyJyb3V0ZUlkIjoieCJ9"])
def test_a_garbage_routes_cursor_is_a_400(stack, cursor):
    status, body = list_page(ADMIN, cursor=cursor)
    assert status == 400 and "'cursor'" in body["error"]["message"]


def test_an_unknown_route_is_404(stack):
    status, body = get("no-such-route", ADMIN)
    assert (status, body["error"]) == (404, {"code": "NotFound", "message": "There is no route no-such-route."})


def test_a_courier_reads_a_route_only_through_a_task_they_may_see(route_id, publish):
    status, body = get(route_id, ANA)  # no task uses it yet
    assert status == 403 and "open task" in body["error"]["message"]
    task = publish()
    assert get(route_id, ANA)[0] == 200  # an open task uses it
    task_call("claim", task["taskId"], BEN)
    assert get(route_id, ANA)[0] == 403  # now Ben's, not Ana's
    assert get(route_id, BEN)[0] == 200  # Ben's own task
    task_call("start", task["taskId"], BEN)
    assert get(route_id, BEN)[0] == 200
