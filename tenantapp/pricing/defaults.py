"""The pricing config every new tenant starts with (SPEC §5.2), in normalised form."""

from __future__ import annotations

from typing import Any

DEFAULT_CONFIG: dict[str, Any] = {
    "currency": "CAD",
    "rate": "35.00",
    "minimum_cleaner_hours": "3.0",
    "time_on_site_step_hours": "0.5",
    "team_size": {
        "thresholds": [
            {"max_cleaner_hours": "4.5", "size": 1},
            {"max_cleaner_hours": "8.0", "size": 2},
        ],
        "otherwise": 3,
    },
    "service_multipliers": {
        "standard": "1.0",
        "deep": "1.2",
        "move_out": "1.35",
        "move_in": "1.35",
    },
    "heavy_grease_hours": {
        "by_beds": [{"max_beds": 2, "hours": "0.5"}, {"max_beds": 4, "hours": "1.0"}],
        "otherwise": "1.5",
    },
    "multi_floor_hours": "0.5",
    "frequency_discount_percent": {
        "one_time": "0.0",
        "weekly": "10.0",
        "biweekly": "5.0",
        "monthly": "0.0",
    },
    "base_hours": [
        {"beds": 1, "baths": 1, "hours": "2.5"},
        {"beds": 2, "baths": 1, "hours": "3.0"},
        {"beds": 2, "baths": 2, "hours": "3.5"},
        {"beds": 3, "baths": 2, "hours": "4.0"},
        {"beds": 3, "baths": 3, "hours": "4.5"},
        {"beds": 4, "baths": 2, "hours": "4.5"},
        {"beds": 4, "baths": 3, "hours": "5.0"},
        {"beds": 5, "baths": 3, "hours": "5.5"},
        {"beds": 6, "baths": 4, "hours": "6.5"},
    ],
    "add_ons": {
        "flags": {
            "oven": "30.00",
            "fridge": "20.00",
            "microwave": "10.00",
            "cabinets": "40.00",
            "windows_up_to_5": "30.00",
            "balcony": "25.00",
        },
        "per_unit": {
            "linen_beds": "10.00",
            "steam_armchair": "45.00",
            "steam_sofa_2": "90.00",
            "steam_sofa_3": "110.00",
            "steam_sectional": "150.00",
            "steam_mattress": "110.00",
            "carpet_spot": "35.00",
        },
    },
}
