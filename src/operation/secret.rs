//! `secret set` and `secret rm` as [`Operation`]s: the change is one file under `secrets/`
//! (ciphertext or a reference); rendering adds what deploys it to the owner's overlay.

use super::{Change, Operation};
use crate::error::{Error, Result};
use crate::load::Snapshot;
use crate::secret::{self, Owner, OwnerKind};
use crate::validate::suggest::closest;

/// `secret set`: encrypt a value for `.sops.yaml`'s recipients, or write an ExternalSecret.
pub struct SetSecret {
    pub id: String,
    /// Guild or tenant, when the ID alone does not tell.
    pub kind: Option<OwnerKind>,
    pub name: String,
    /// The plaintext (the `sops` form); it never leaves memory except into sops's stdin.
    pub value: Option<Vec<u8>>,
    /// The environment variable the value came from: sops does not inherit it.
    pub from_env: Option<String>,
    /// The key in the store (the `externalSecret` form); default from `keyTemplate`.
    pub key: Option<String>,
}

/// `secret rm`: removes a secret's file (rendering drops it from the overlay).
pub struct RemoveSecret {
    pub id: String,
    pub kind: Option<OwnerKind>,
    pub name: String,
}

/// The guild or tenant `id` names in the snapshot (`kind` decides when both exist).
pub fn resolve_owner(snapshot: &Snapshot, id: &str, kind: Option<OwnerKind>) -> Result<Owner> {
    let guild = Owner::guild(id);
    let tenant = Owner::tenant(id);
    let is_guild = crate::operation::guild::check_id(id).is_ok() && guild.exists_in(snapshot);
    let is_tenant = crate::validate::formats::is_dns_label(id) && tenant.exists_in(snapshot);
    match (kind, is_guild, is_tenant) {
        (Some(OwnerKind::Guild), true, _) | (None, true, false) => Ok(guild),
        (Some(OwnerKind::Tenant), _, true) | (None, false, true) => Ok(tenant),
        (None, true, true) => Err(Error::usage(
            format!("{id} is both a guild and a tenant"),
            "say which with --kind guild or --kind tenant",
        )),
        (Some(OwnerKind::Guild), false, _) => {
            crate::operation::guild::check_exists(snapshot, id)?;
            Err(Error::usage(
                format!("no guild {id}"),
                "`tenantctl list` shows every guild",
            ))
        }
        (_, _, _) => {
            let ids = snapshot
                .guilds
                .keys()
                .filter_map(|p| p.strip_prefix("guilds/guild-")?.strip_suffix(".yaml"))
                .chain(
                    snapshot
                        .tenants
                        .keys()
                        .filter_map(|p| p.strip_prefix("tenants/")?.strip_suffix(".yaml")),
                );
            let what = match kind {
                Some(OwnerKind::Tenant) => "tenant",
                _ => "guild or tenant",
            };
            let hint = match closest(id, ids) {
                Some(near) => format!(
                    "did you mean {near}? `tenantctl list` and `tenantctl list --kind tenant` show them"
                ),
                None => "`tenantctl list` and `tenantctl list --kind tenant` show them".to_string(),
            };
            Err(Error::usage(format!("no {what} {id}"), hint))
        }
    }
}

/// The trailers of a change to a secret of `owner`.
fn trailers(owner: &Owner, name: &str, form: &str) -> Vec<(String, String)> {
    let id_key = match owner.kind {
        OwnerKind::Guild => "Guild-Id",
        OwnerKind::Tenant => "Tenant-Id",
    };
    vec![
        (id_key.to_string(), owner.id.clone()),
        ("Secret".to_string(), name.to_string()),
        ("Secret-Form".to_string(), form.to_string()),
    ]
}

impl Operation for SetSecret {
    fn name(&self) -> &'static str {
        "secret-set"
    }

    fn change(&self, snapshot: &Snapshot) -> Result<Change> {
        secret::check_name(&self.name)?;
        let owner = resolve_owner(snapshot, &self.id, self.kind)?;
        let config = snapshot.parsed_config().ok_or_else(|| {
            Error::usage(
                "tenantctl.yaml is invalid, so the secret form is unknown",
                "run `tenantctl validate` and fix what it reports",
            )
        })?;
        let settings = &config.secrets;
        let path = owner.file(&self.name);
        let verb = if snapshot.secrets.contains_key(&path) {
            "Update"
        } else {
            "Add"
        };
        let secret_name = owner.secret_name(&self.name);
        let (text, notes) = match settings.form.as_str() {
            "externalSecret" => {
                if self.value.is_some() {
                    return Err(Error::usage(
                        "the externalSecret form keeps no value in git, so --from-env and --stdin do not apply",
                        "put the value into the secret store yourself; `tenantctl secret set` writes only the ExternalSecret that points at it",
                    ));
                }
                let external = &settings.external_secret;
                let store = external.store_name.as_deref().ok_or_else(|| {
                    Error::usage(
                        "secrets.externalSecret.storeName is not set in tenantctl.yaml",
                        "name the SecretStore or ClusterSecretStore the External Secrets Operator reads, e.g. `secrets: {form: externalSecret, externalSecret: {storeName: vault}}`",
                    )
                })?;
                let key = match &self.key {
                    Some(key) if key.trim().is_empty() || key.contains(char::is_whitespace) => {
                        return Err(Error::usage(
                            format!("--key `{key}` is not a store key"),
                            "a key is a path like tenantctl/guild/123/token, without spaces",
                        ));
                    }
                    Some(key) => key.clone(),
                    None => secret::store_key(&owner, &self.name, external),
                };
                let text =
                    secret::external_secret_manifest(&owner, &self.name, external, store, &key);
                let note = format!(
                    "put the value into {} {store} under the key `{key}`: the External Secrets Operator copies it into the Secret {secret_name} (key {name}) of {owner}",
                    external.store_kind,
                    name = self.name,
                    owner = owner.describe(),
                );
                (text, vec![note])
            }
            _ => {
                if self.key.is_some() {
                    return Err(Error::usage(
                        "--key names a key in a secret store: it is for `secrets.form: externalSecret`",
                        "drop --key; the sops form stores the (encrypted) value itself",
                    ));
                }
                let Some(value) = &self.value else {
                    return Err(Error::usage(
                        "no value: pass it with --from-env VAR or --stdin",
                        format!(
                            "e.g. `tenantctl secret set {} {} --from-env DISCORD_TOKEN`; never as an argument, where shell history and `ps` would keep it",
                            self.id, self.name
                        ),
                    ));
                };
                let plaintext = secret::plaintext_manifest(&owner, &self.name, value);
                let encrypted = secret::encrypt(
                    snapshot.sops_config.as_deref(),
                    &path,
                    &plaintext,
                    self.from_env.as_deref(),
                )?;
                drop(plaintext);
                secret::check_encrypted(&encrypted, &self.name, value, &path)?;
                let note = format!(
                    "{path} is encrypted for the recipients of .sops.yaml; Argo CD decrypts it with KSOPS into the Secret {secret_name} (key {name}) of {owner}",
                    name = self.name,
                    owner = owner.describe(),
                );
                (encrypted, vec![note])
            }
        };
        Ok(Change {
            files: [(path, Some(text))].into(),
            message: format!(
                "{verb} secret {} of {} ({})",
                self.name,
                owner.describe(),
                settings.form
            ),
            notes,
            trailers: trailers(&owner, &self.name, &settings.form),
            id: owner.id.clone(),
        })
    }
}

impl Operation for RemoveSecret {
    fn name(&self) -> &'static str {
        "secret-rm"
    }

    fn change(&self, snapshot: &Snapshot) -> Result<Change> {
        secret::check_name(&self.name)?;
        // The owner may be gone already (a secret left behind): the file alone decides.
        let candidates: Vec<Owner> = [Owner::guild(&self.id), Owner::tenant(&self.id)]
            .into_iter()
            .filter(|o| self.kind.is_none_or(|k| k == o.kind))
            .filter(|o| snapshot.secrets.contains_key(&o.file(&self.name)))
            .collect();
        let owner = match candidates.as_slice() {
            [owner] => owner.clone(),
            [] => {
                let names: Vec<String> = secret::entries(snapshot)
                    .into_iter()
                    .filter(|s| s.owner.id == self.id)
                    .map(|s| s.name)
                    .collect();
                let hint = match closest(&self.name, names.iter().map(String::as_str)) {
                    Some(near) => format!(
                        "did you mean {near}? `tenantctl secret list {}` shows them",
                        self.id
                    ),
                    None if names.is_empty() => format!("{} has no secrets", self.id),
                    None => format!("its secrets: {}", names.join(", ")),
                };
                return Err(Error::usage(
                    format!("no secret {} of {}", self.name, self.id),
                    hint,
                ));
            }
            _ => {
                return Err(Error::usage(
                    format!(
                        "both guild {0} and tenant {0} have a secret {1}",
                        self.id, self.name
                    ),
                    "say which with --kind guild or --kind tenant",
                ));
            }
        };
        let path = owner.file(&self.name);
        let form = snapshot.secrets[&path]
            .parsed
            .as_ref()
            .map(|d| secret::Form::of(&d.value).as_str())
            .unwrap_or("unknown");
        Ok(Change {
            files: [(path, None)].into(),
            message: format!("Remove secret {} of {}", self.name, owner.describe()),
            notes: vec![format!(
                "Argo CD stops managing the Secret {}; with pruning it deletes it, else remove it with kubectl",
                owner.secret_name(&self.name)
            )],
            trailers: trailers(&owner, &self.name, form),
            id: owner.id.clone(),
        })
    }
}
