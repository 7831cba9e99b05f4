# Seed 000 (iot_platform) exactly as its document writes it; only the import line differs.
import dlt
from restsync import rest_api_source

source = rest_api_source({
    "client": {
        "base_url": "https://api.example.com",
        "auth": {
            "type": "api_key",
            "name": "api_key",
            "api_key": dlt.secrets["api_token"],
            "location": "header"
        }
    },
    "resource_defaults": {
        "primary_key": "id",
        "write_disposition": "merge"
    },
    "resources": [
        {
            "name": "devices",
            "endpoint": {
                "path": "/v1/devices",
                "data_selector": "results",
                "paginator": {
                    "type": "cursor",
                    "limit": 200,
                    "cursor_param": "page",
                    "stop_condition": "response.next is none"
                }
            }
        },
        {
            "name": "events",
            "endpoint": {
                "path": "/v1/events",
                "data_selector": "results",
                "paginator": {
                    "type": "cursor",
                    "limit": 200,
                    "cursor_param": "page",
                    "stop_condition": "response.next is none"
                }
            }
        },
        {
            "name": "dashboards",
            "endpoint": {
                "path": "/v1/dashboards",
                "data_selector": "results",
                "paginator": {
                    "type": "cursor",
                    "limit": 200,
                    "cursor_param": "page",
                    "stop_condition": "response.next is none"
                }
            }
        },
        {
            "name": "variables",
            "endpoint": {
                "path": "/v1/variables",
                "data_selector": "results",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "page",
                    "stop_condition": "response.next is none"
                }
            }
        },
        {
            "name": "device_groups",
            "endpoint": {
                "path": "/v1/device_groups",
                "data_selector": "results",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "page",
                    "stop_condition": "response.next is none"
                }
            }
        },
        {
            "name": "device_types",
            "endpoint": {
                "path": "/v1/device_types",
                "data_selector": "results",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "page",
                    "stop_condition": "response.next is none"
                }
            }
        }
    ]
})
