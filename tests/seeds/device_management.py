# Seed 002 (device_management) exactly as its document writes it; only the import line differs.
import dlt
from restsync import rest_api_source

source = rest_api_source({
    "client": {
        "base_url": "https://api.example.com",
        "auth": {
            "type": "bearer",
            "token": dlt.secrets["api_key"]
        }
    },
    "resource_defaults": {
        "primary_key": "id",
        "write_disposition": "merge"
    },
    "resources": [
        {
            "name": "organizations",
            "endpoint": {
                "path": "/v2/organizations",
                "data_selector": "data",
                "paginator": {
                    "type": "offset",
                    "limit": 20,
                    "offset_param": "after"
                }
            }
        },
        {
            "name": "policies",
            "endpoint": {
                "path": "/v2/policies",
                "data_selector": "data"
            },
            "incremental_sync": {
                "cursor_field": "updated",
                "start_datetime": dlt.config["start_date"],
                "datetime_format": "%Y-%m-%dT%H:%M:%SZ"
            }
        },
        {
            "name": "activities",
            "endpoint": {
                "path": "/v2/activities",
                "data_selector": "activities",
                "paginator": {
                    "type": "offset",
                    "limit": 20,
                    "offset_param": "after"
                }
            },
            "incremental_sync": {
                "cursor_field": "activityTime",
                "start_datetime": dlt.config["start_date"],
                "datetime_format": "%Y-%m-%dT%H:%M:%SZ"
            }
        },
        {
            "name": "automation_scripts",
            "endpoint": {
                "path": "/v2/automation/scripts",
                "data_selector": "data"
            },
            "incremental_sync": {
                "cursor_field": "updatedOn",
                "start_datetime": dlt.config["start_date"],
                "datetime_format": "%Y-%m-%dT%H:%M:%SZ"
            }
        },
        {
            "name": "groups",
            "endpoint": {
                "path": "/v2/groups",
                "data_selector": "data"
            },
            "incremental_sync": {
                "cursor_field": "updated",
                "start_datetime": dlt.config["start_date"],
                "datetime_format": "%Y-%m-%dT%H:%M:%SZ"
            }
        },
        {
            "name": "locations",
            "endpoint": {
                "path": "/v2/locations",
                "data_selector": "data",
                "paginator": {
                    "type": "offset",
                    "limit": 20,
                    "offset_param": "after"
                }
            }
        },
        {
            "name": "roles",
            "endpoint": {
                "path": "/v2/roles",
                "data_selector": "data"
            },
            "incremental_sync": {
                "cursor_field": "created",
                "start_datetime": dlt.config["start_date"],
                "datetime_format": "%Y-%m-%dT%H:%M:%SZ"
            }
        },
        {
            "name": "software_products",
            "endpoint": {
                "path": "/v2/software-products",
                "data_selector": "data"
            }
        }
    ]
})
