# Seed 004 (video_rooms) exactly as its document writes it; only the import line differs.
import dlt
from restsync import rest_api_source

source = rest_api_source({
    "client": {
        "base_url": "https://api.example.com",
        "auth": {
            "type": "bearer",
            "token": dlt.secrets["api_token"]
        }
    },
    "resource_defaults": {
        "primary_key": "id",
        "write_disposition": "merge"
    },
    "resources": [
        {
            "name": "sessions",
            "endpoint": {
                "path": "/v2/sessions",
                "data_selector": "data",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "start",
                    "cursor_path": "last",
                    "stop_condition": "response.get('last') is None"
                }
            }
        },
        {
            "name": "rooms",
            "endpoint": {
                "path": "/v2/rooms",
                "data_selector": "data",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "start",
                    "cursor_path": "last",
                    "stop_condition": "response.get('last') is None"
                }
            }
        },
        {
            "name": "active_room_peers",
            "endpoint": {
                "path": "/v2/active-rooms/{room_id}/peers",
                "data_selector": "peers",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "start",
                    "cursor_path": "last",
                    "stop_condition": "response.get('last') is None"
                }
            }
        },
        {
            "name": "templates",
            "endpoint": {
                "path": "/v2/templates",
                "data_selector": "data",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "start",
                    "cursor_path": "last",
                    "stop_condition": "response.get('last') is None"
                }
            }
        },
        {
            "name": "template_settings",
            "endpoint": {
                "path": "/v2/templates/{temp_id}/settings",
                "data_selector": [],
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "start",
                    "cursor_path": "last",
                    "stop_condition": "response.get('last') is None"
                }
            }
        },
        {
            "name": "templates_destinations",
            "endpoint": {
                "path": "/v2/templates/{temp_id}/destinations",
                "data_selector": "browserRecordings",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "start",
                    "cursor_path": "last",
                    "stop_condition": "response.get('last') is None"
                }
            }
        },
        {
            "name": "analytics_events",
            "endpoint": {
                "path": "/v2/analytics/events",
                "data_selector": "events",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "start",
                    "cursor_path": "next",
                    "stop_condition": "response.get('next') is None"
                }
            }
        },
        {
            "name": "recordings",
            "endpoint": {
                "path": "/v2/recordings",
                "data_selector": "data",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "start",
                    "cursor_path": "last",
                    "stop_condition": "response.get('last') is None"
                }
            }
        }
    ]
})
