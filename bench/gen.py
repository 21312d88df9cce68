#!/usr/bin/env python3
"""Write N guild files and N tenant files into a config repo, deterministically.

usage: gen.py REPO N

guilds/guild-<id>.yaml: the seed's shape (every value a quoted string), id 100000000000000000+i,
tier free for even i, pro for odd i, the tier's defaults.
tenants/shop-<i>.yaml: tenants/customer-shop-1.yaml with its own tenantId, metadata.name and
customDomain, tenantType cycling production, staging, development, a pinned imageTag, and a quota
(4 CPUs, 8Gi, 20Gi) that every type's peak fits.
"""
import os
import sys

GUILD_BASE = 100000000000000000

TIERS = {
    "free": ("64Mi", "128Mi", "50m", "100m", "128Mi", "256Mi", "100m", "200m"),
    "pro": ("128Mi", "256Mi", "100m", "200m", "256Mi", "512Mi", "200m", "500m"),
}

GUILD = """\
# yaml-language-server: $schema=../schemas/guild.schema.json
guild_id: "{id}"
tier: "{tier}"
discord_memory_request: "{0}"
discord_memory_limit: "{1}"
discord_cpu_request: "{2}"
discord_cpu_limit: "{3}"
backend_memory_request: "{4}"
backend_memory_limit: "{5}"
backend_cpu_request: "{6}"
backend_cpu_limit: "{7}"
"""

TYPES = ("production", "staging", "development")

TENANT = """\
apiVersion: shop.pilab.hu/v1alpha1
kind: Tenant
metadata:
  name: {tid}
  namespace: default
spec:
  tenantId: "{tid}"
  tenantType: "{ttype}"
  imageTag: "v1.2.{patch}"
  customDomain: "{tid}.shops.example.com"
  ingressTlsSecretName: "{tid}-tls"
  active: true
  services:
    - "api"
    - "frontend"
    - "worker"
    - "scheduler"
  environment: "{ttype}"
  resourceLimits:
    cpuLimit: "4"
    memoryLimit: "8Gi"
    storageLimit: "20Gi"
  backupConfig:
    enabled: true
    schedule: "{minute} 2 * * *"
    retention: "30d"
  tenantConfig:
    customerName: "Customer Shop {i} Inc."
    customerEmail: "admin@{tid}.shops.example.com"
    billingTier: "premium"
    features:
      - "advanced-analytics"
      - "custom-themes"
      - "api-access"
"""


def guild_id(i):
    return GUILD_BASE + i


def tenant_id(i):
    return f"shop-{i:06d}"


def main():
    repo, n = sys.argv[1], int(sys.argv[2])
    guilds = os.path.join(repo, "guilds")
    tenants = os.path.join(repo, "tenants")
    os.makedirs(guilds, exist_ok=True)
    os.makedirs(tenants, exist_ok=True)
    for i in range(n):
        gid = guild_id(i)
        tier = "free" if i % 2 == 0 else "pro"
        with open(os.path.join(guilds, f"guild-{gid}.yaml"), "w") as f:
            f.write(GUILD.format(*TIERS[tier], id=gid, tier=tier))
        tid = tenant_id(i)
        with open(os.path.join(tenants, f"{tid}.yaml"), "w") as f:
            f.write(TENANT.format(tid=tid, ttype=TYPES[i % 3], patch=i % 10, minute=i % 60, i=i))


if __name__ == "__main__":
    main()
