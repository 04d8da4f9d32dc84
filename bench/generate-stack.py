#!/usr/bin/env python3
"""Writes a Compose file with N services that use the common attributes:
images, ports, volumes, environment, healthchecks, depends_on chains,
networks, resource limits and an extension-field anchor."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
out = ["name: scale", "x-common: &common", "  restart: unless-stopped",
       "  logging: {driver: json-file, options: {max-size: 10m, max-file: '3'}}", "services:"]
for i in range(n):
    out += [
        f"  svc{i}:",
        "    <<: *common",
        f"    image: registry.local/app{i % 17}:${{TAG:-1.{i % 5}}}",
        f"    command: [\"serve\", \"--port\", \"{8000 + i % 1000}\"]",
        "    environment:",
        f"      SERVICE_ID: \"{i}\"",
        "      LOG_LEVEL: info",
        f"      UPSTREAM: svc{max(i - 1, 0)}",
        f"    ports: [\"127.0.0.1:{20000 + i}:{8000 + i % 1000}\"]",
        f"    volumes: [\"data{i % 50}:/data\", \"./conf/{i}:/etc/app:ro\"]",
        "    networks: [front, back]" if i % 2 else "    networks: [back]",
        "    healthcheck:",
        "      test: [\"CMD\", \"wget\", \"-q\", \"-O-\", \"http://localhost/health\"]",
        "      interval: 10s",
        "      retries: 3",
        "    deploy: {resources: {limits: {cpus: '0.5', memory: 256m}}}",
    ]
    if i % 10:
        out += ["    depends_on:", f"      svc{i - 1}:", "        condition: service_started"]
out += ["networks:", "  front:", "  back:", "volumes:"]
out += [f"  data{j}:" for j in range(50)]
print("\n".join(out))
