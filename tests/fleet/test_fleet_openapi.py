def test_migration_operations_are_documented(fleet_client):
    spec = fleet_client.get("/v1/openapi.json").get_json()
    listing = spec["paths"]["/v1/ops/migrations"]["get"]
    run = spec["paths"]["/v1/ops/migrations/run"]["post"]
    assert {"operatorBasic": []} in listing["security"]
    assert {"202", "401", "403", "409", "422"} <= set(run["responses"])
    assert "FleetStatus" in spec["components"]["schemas"]
