#!/usr/bin/env bash
# ensure-clients.sh makes the AWS CLI and boto3 available for the end-to-end
# tests: they are stricter XML readers than the Go SDK. It uses what the
# machine has and, as root, falls back to Debian's awscli and python3-boto3.
set -euo pipefail

have_cli() { command -v aws >/dev/null 2>&1 && aws --version >/dev/null 2>&1; }
have_boto3() { command -v python3 >/dev/null 2>&1 && python3 -c 'import boto3' >/dev/null 2>&1; }

if have_cli && have_boto3; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "ensure-clients: the AWS CLI or boto3 is missing; install awscli and python3-boto3" >&2
	exit 1
fi
pkgs=()
have_cli || pkgs+=(awscli)
have_boto3 || pkgs+=(python3-boto3)
DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
# Debian's packages land in /usr/bin; a pyenv python earlier on PATH may not
# see them, so check again the way the tests will run them.
if ! have_cli || ! have_boto3; then
	echo "ensure-clients: installed ${pkgs[*]} but the AWS CLI or boto3 still does not run" >&2
	exit 1
fi
