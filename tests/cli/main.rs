//! Integration tests: the real binary, a real bare git remote, real kubectl kustomize,
//! check-jsonschema and kubernetes-validate as judges. One test binary, one module per area.

mod argo;
mod boundary;
mod ci_formats;
mod commits;
mod corpus;
mod crd_rules;
mod demo;
mod differential;
mod edits;
mod escaping;
mod extras;
mod fence;
mod fuzz_corpus;
mod git;
mod golden;
mod invalid;
mod lifecycle;
mod make;
mod manifests;
mod manifests_run;
mod network_policies;
mod pipes;
mod pod_security;
mod regression;
mod remotes;
mod render;
mod secrets;
mod servers;
mod snapshots;
mod support;
mod teams;
mod tenant_lifecycle;
mod tenants;
mod terminal;
mod usage;
