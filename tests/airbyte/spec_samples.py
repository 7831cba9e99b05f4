"""Connector specs from the corpus (positions 1-240; descriptions left out), for the spec check's
differential and property tests: what airbyte-cdk validates a config against."""

from __future__ import annotations

from typing import Any

# sample3/jotform
JOTFORM: dict[str, Any] = {
    "type": "Spec",
    "connection_specification": {
        "type": "object",
        "$schema": "http://json-schema.org/draft-07/schema#",
        "required": ["api_key", "api_endpoint", "start_date", "end_date"],
        "properties": {
            "api_key": {"type": "string", "title": "API Key", "airbyte_secret": True},
            "end_date": {
                "type": "string",
                "title": "End date",
                "format": "date-time",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
            },
            "start_date": {
                "type": "string",
                "title": "Start date",
                "format": "date-time",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
            },
            "api_endpoint": {
                "type": "object",
                "oneOf": [
                    {
                        "type": "object",
                        "title": "Basic",
                        "required": ["url_prefix"],
                        "properties": {
                            "url_prefix": {
                                "type": "string",
                                "enum": ["Standard", "EU", "HIPAA"],
                                "title": "Base URL Prefix",
                            },
                            "api_endpoint": {"type": "string", "const": "basic"},
                        },
                    },
                    {
                        "type": "object",
                        "title": "Enterprise",
                        "required": ["enterprise_url"],
                        "properties": {
                            "api_endpoint": {"type": "string", "const": "enterprise"},
                            "enterprise_url": {"type": "string", "title": "Enterprise URL"},
                        },
                    },
                ],
                "title": "API Endpoint",
            },
        },
        "additionalProperties": True,
    },
}

# sample5/qonto
QONTO: dict[str, Any] = {
    "type": "Spec",
    "connection_specification": {
        "type": "object",
        "$schema": "http://json-schema.org/draft-07/schema#",
        "required": ["endpoint", "api_key", "iban"],
        "properties": {
            "endpoint": {
                "type": "string",
                "enum": ["Production", "Test Mocked API Server"],
                "title": "Endpoint",
            },
            "api_key": {
                "type": "string",
                "title": "API key",
                "pattern": "^[\\w-]+:[\\w]+$",
                "examples": ["my-organization:3564f"],
                "airbyte_secret": True,
            },
            "iban": {"type": "string", "title": "IBAN", "pattern": "^[A-Z0-9]*$"},
            "start_date": {
                "type": "string",
                "title": "Start date",
                "format": "date",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                "examples": ["YYYY-MM-DD"],
            },
        },
        "additionalProperties": True,
    },
}

# sample4/gong
GONG: dict[str, Any] = {
    "type": "Spec",
    "connection_specification": {
        "type": "object",
        "$schema": "http://json-schema.org/draft-07/schema#",
        "required": ["credentials"],
        "properties": {
            "credentials": {
                "type": "object",
                "title": "Authentication",
                "oneOf": [
                    {
                        "type": "object",
                        "title": "Authenticate via Gong (OAuth)",
                        "required": ["auth_type", "client_id", "client_secret", "refresh_token"],
                        "properties": {
                            "auth_type": {"type": "string", "const": "OAuth2.0"},
                            "client_id": {"type": "string", "title": "Client ID"},
                            "client_secret": {
                                "type": "string",
                                "title": "Client Secret",
                                "airbyte_secret": True,
                            },
                            "refresh_token": {
                                "type": "string",
                                "title": "Refresh Token",
                                "airbyte_secret": True,
                            },
                            "access_token": {
                                "type": "string",
                                "title": "Access Token",
                                "airbyte_secret": True,
                            },
                            "token_expiry_date": {
                                "type": "string",
                                "title": "Token Expiry Date",
                                "format": "date-time",
                            },
                        },
                        "additionalProperties": True,
                    },
                    {
                        "type": "object",
                        "title": "Authenticate with API Key",
                        "required": ["auth_type", "access_key", "access_key_secret"],
                        "properties": {
                            "auth_type": {"type": "string", "const": "APIKey"},
                            "access_key": {
                                "type": "string",
                                "title": "Gong Access Key",
                                "airbyte_secret": True,
                            },
                            "access_key_secret": {
                                "type": "string",
                                "title": "Gong Access Key Secret",
                                "airbyte_secret": True,
                            },
                        },
                        "additionalProperties": True,
                    },
                ],
            },
            "start_date": {
                "type": "string",
                "title": "Start date",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
                "examples": ["2018-02-18T08:00:00Z"],
            },
        },
        "additionalProperties": True,
    },
    "config_normalization_rules": {
        "type": "ConfigNormalizationRules",
        "config_migrations": [
            {
                "type": "ConfigMigration",
                "transformations": [
                    {
                        "type": "ConfigAddFields",
                        "fields": [
                            {
                                "type": "AddedFieldDefinition",
                                "path": ["credentials", "access_key"],
                                "value": "{{ config['access_key'] }}",
                            }
                        ],
                        "condition": "{{ "
                        "config.get('access_key', "
                        "False) "
                        "and "
                        "not "
                        "config.get('credentials', "
                        "{}).get('access_key', "
                        "False) "
                        "}}",
                    },
                    {
                        "type": "ConfigAddFields",
                        "fields": [
                            {
                                "type": "AddedFieldDefinition",
                                "path": ["credentials", "access_key_secret"],
                                "value": "{{ config['access_key_secret'] }}",
                            }
                        ],
                        "condition": "{{ "
                        "config.get('access_key_secret', "
                        "False) "
                        "and "
                        "not "
                        "config.get('credentials', "
                        "{}).get('access_key_secret', "
                        "False) "
                        "}}",
                    },
                    {
                        "type": "ConfigAddFields",
                        "fields": [
                            {
                                "type": "AddedFieldDefinition",
                                "path": ["credentials", "auth_type"],
                                "value": "APIKey",
                            }
                        ],
                        "condition": "{{ "
                        "config.get('access_key', "
                        "False) "
                        "and "
                        "not "
                        "config.get('credentials', "
                        "{}).get('auth_type', "
                        "False) "
                        "}}",
                    },
                ],
            }
        ],
    },
}

# sample4/statuspage
STATUSPAGE: dict[str, Any] = {
    "type": "Spec",
    "connection_specification": {
        "type": "object",
        "$schema": "https://json-schema.org/draft-07/schema#",
        "required": ["api_key"],
        "properties": {"api_key": {"type": "string", "title": "API Key", "airbyte_secret": True}},
        "additionalProperties": True,
    },
}

# modern/hellobaton
HELLOBATON: dict[str, Any] = {
    "type": "Spec",
    "connection_specification": {
        "type": "object",
        "$schema": "http://json-schema.org/draft-07/schema#",
        "required": ["api_key", "api_key", "company"],
        "properties": {
            "api_key": {"type": "string", "title": "API Key", "airbyte_secret": True},
            "company": {
                "type": "string",
                "title": "company",
                "examples": ["google", "facebook", "microsoft"],
            },
        },
        "additionalProperties": True,
    },
}
