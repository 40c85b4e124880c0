# Written by CosmicAI Bench's emulator (emulator/python-env.ts) onto PYTHONPATH of the Python it runs.
# boto3 1.26 (Debian bookworm) ignores AWS_ENDPOINT_URL: this points every boto3 client and resource at the
# emulator's local servers (COSMICAI_EMULATOR_ENDPOINTS, a JSON object service -> URL), with path-style S3 addressing.
import json
import os

_endpoints = json.loads(os.environ.get('COSMICAI_EMULATOR_ENDPOINTS') or '{}')
if _endpoints:
    try:
        import boto3.session
        from botocore.config import Config
    except ImportError:  # no boto3: nothing to patch; the handler fails on its own import with the real error
        boto3 = None
    if boto3 is not None:
        _client = boto3.session.Session.client
        _resource = boto3.session.Session.resource

        def _patched(original):
            def call(self, service_name, *args, **kwargs):
                url = _endpoints.get(service_name)
                if url and not kwargs.get('endpoint_url'):
                    kwargs['endpoint_url'] = url
                    if service_name == 's3':
                        path_style = Config(s3={'addressing_style': 'path'})
                        kwargs['config'] = kwargs['config'].merge(path_style) if kwargs.get('config') else path_style
                return original(self, service_name, *args, **kwargs)
            return call

        boto3.session.Session.client = _patched(_client)
        boto3.session.Session.resource = _patched(_resource)
