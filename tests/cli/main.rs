//! Integration tests: the real binary, a real bare git remote, real kubectl kustomize,
//! check-jsonschema and kubernetes-validate as judges. One test binary, one module per area.

mod ci_formats;
mod corpus;
mod demo;
mod differential;
mod escaping;
mod extras;
mod fuzz_corpus;
mod git;
mod golden;
mod invalid;
mod lifecycle;
mod make;
mod manifests;
mod render;
mod snapshots;
mod support;
mod tenant_lifecycle;
mod tenants;
mod terminal;
mod usage;
