//! Users and API tokens: authentication of a token (with a short-lived
//! cache), and the admin's management of users and tokens.

use rampart_domain::journal::{
    NoDetails, TokenCreated, TokenRefusal, TokenRefused, TokenRevoked, UserCreated,
    UserRolesChanged,
};
use rampart_domain::{Action, Actor, DomainError, JournalAction, Role, Scope, Text, Timestamp};
use rampart_store::{ApiToken, Credentials, Entity, EntityRef, JournalDraft, User, Write};

use crate::unit::{Decided, Unit};
use crate::{App, AppError, RESERVED_NAMES, auth};

/// How long a verified API token is trusted without asking the store again.
/// A change of users or tokens empties the cache at once: on this node as it
/// commits, on every other PostgreSQL node as the database announces it. A
/// change by the command line on SQLite, which announces nothing, takes
/// effect within this time.
const TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(2);
/// Most tokens remembered; past that the cache starts afresh.
const TOKEN_CACHE: usize = 10_000;

/// A verified token as remembered: who it acts as, until when it works,
/// and when it was verified.
type Verified = (Actor, Option<Timestamp>, std::time::Instant);

/// How long a token refused for one reason stays unjournaled after the
/// first time on this node.
const REFUSAL_QUIET: time::Duration = time::Duration::minutes(15);

/// Recently verified API tokens: SHA-256 of the token → the actor, and when;
/// and when each known token was last journaled as refused, for each reason.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    verified: std::sync::Mutex<std::collections::HashMap<String, Verified>>,
    refused: std::sync::Mutex<std::collections::HashMap<(String, TokenRefusal), Timestamp>>,
}

impl TokenCache {
    /// The actor of a token verified a moment ago, unless it has expired since.
    pub(crate) fn get(&self, hash: &str, now: Timestamp) -> Option<Actor> {
        let cache = self.verified.lock().ok()?;
        cache
            .get(hash)
            .filter(|(_, expires, at)| at.elapsed() < TOKEN_TTL && expires.is_none_or(|e| now < e))
            .map(|(actor, _, _)| actor.clone())
    }

    pub(crate) fn put(&self, hash: String, actor: Actor, expires: Option<Timestamp>) {
        if let Ok(mut cache) = self.verified.lock() {
            if cache.len() >= TOKEN_CACHE {
                cache.clear();
            }
            cache.insert(hash, (actor, expires, std::time::Instant::now()));
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut cache) = self.verified.lock() {
            cache.clear();
        }
    }

    /// Whether a refusal of this token for this reason is the first in
    /// [`REFUSAL_QUIET`] (and so is to be journaled); remembers it if so.
    fn first_refusal(&self, hash: &str, reason: TokenRefusal, now: Timestamp) -> bool {
        let Ok(mut refused) = self.refused.lock() else {
            return false;
        };
        let quiet = |at: &Timestamp| now.as_offset() - at.as_offset() < REFUSAL_QUIET;
        if refused.len() >= TOKEN_CACHE {
            refused.retain(|_, at| quiet(at));
        }
        let key = (hash.to_owned(), reason);
        if refused.get(&key).is_some_and(quiet) || refused.len() >= TOKEN_CACHE {
            return false;
        }
        refused.insert(key, now);
        true
    }
}

/// What a new API token is to be.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// What it is for, in a few words (1 to 80 characters); `token` when
    /// none is given.
    pub name: Option<String>,
    /// What it may be used for; every scope the owner's roles allow when
    /// none are given.
    pub scopes: Option<Vec<Scope>>,
    /// How many days it works; the installation's default when none is
    /// given, at most its maximum.
    pub days: Option<u32>,
}

/// The longest token name.
const TOKEN_NAME_MAX: usize = 80;

impl App {
    /// The actor behind an API token, if the token is valid, not expired and
    /// its user active; acting within the token's scopes.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Actor>, AppError> {
        if !auth::looks_like_token(token) {
            return Ok(None);
        }
        let hash = auth::hash_token(token);
        let now = self.clock().now();
        if let Some(actor) = self.tokens.get(&hash, now) {
            return Ok(Some(actor));
        }
        let Some((user, token)) = self.store.token_owner(&hash).await? else {
            return Ok(None);
        };
        let refusal = if user.disabled {
            Some(TokenRefusal::OwnerDisabled)
        } else if token.expires_at.is_some_and(|e| now >= e) {
            Some(TokenRefusal::Expired)
        } else {
            None
        };
        if let Some(reason) = refusal {
            if self.tokens.first_refusal(&hash, reason, now) {
                self.journal_refusal(&user.name, &token, reason, None).await;
            }
            return Ok(None);
        }
        // Its last use, to the minute: a write at most once a minute a token.
        let stale = token
            .last_used_at
            .is_none_or(|t| now.as_offset() - t.as_offset() >= time::Duration::minutes(1));
        if stale && let Err(e) = self.store.note_token_used(&hash, now).await {
            // A read-only database (a standby) still lets tokens in.
            tracing::debug!(error = %e, "the token's last use was not noted");
        }
        let mut actor = Actor::new(user.name, user.roles);
        if let Some(scopes) = token.scopes {
            actor = actor.with_scopes(scopes);
        }
        self.tokens.put(hash, actor.clone(), token.expires_at);
        Ok(Some(actor))
    }

    /// Journals that a token known to be valid otherwise was used for
    /// `action`, which needs `scope`, a scope it lacks (once in a quarter of
    /// an hour for each token).
    pub async fn token_out_of_scope(&self, token: &str, scope: &str, action: &str) {
        if !auth::looks_like_token(token) {
            return;
        }
        let hash = auth::hash_token(token);
        let reason = TokenRefusal::OutOfScope;
        if !self.tokens.first_refusal(&hash, reason, self.clock().now()) {
            return;
        }
        let owner = match self.store.token_owner(&hash).await {
            Ok(Some(owner)) => owner,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "a token's refusal was not journaled");
                return;
            }
        };
        let (user, token) = owner;
        let needed = Some((scope.to_owned(), action.to_owned()));
        self.journal_refusal(&user.name, &token, reason, needed)
            .await;
    }

    /// Journals a token's refusal. A failure to write is logged: the refusal
    /// stands.
    async fn journal_refusal(
        &self,
        owner: &str,
        token: &ApiToken,
        reason: TokenRefusal,
        needed: Option<(String, String)>,
    ) {
        let (scope, action) = needed.unzip();
        let refused = JournalAction::TokenRefused(TokenRefused {
            token_id: token.id.clone(),
            reason,
            scope,
            action,
        });
        let entity = format!("user:{owner}");
        let unit = Unit::new(owner)
            .decide(move |_| Ok(Decided::new(()).journal(JournalDraft::new(entity, refused))));
        if let Err(e) = self.run(unit).await {
            tracing::warn!(error = %e.chain(), "a token's refusal was not journaled");
        }
    }

    /// Creates a user.
    pub async fn add_user(
        &self,
        actor: &Actor,
        name: &str,
        roles: Vec<Role>,
    ) -> Result<User, AppError> {
        actor.require(Action::ManageUsers)?;
        let name =
            rampart_domain::parse_user_name(name).map_err(|m| DomainError::field("name", m))?;
        if RESERVED_NAMES.contains(&name.as_str()) {
            return Err(DomainError::field(
                "name",
                format!("`{name}` is reserved for Rampart's own journal entries"),
            )
            .into());
        }
        if roles.is_empty() {
            return Err(DomainError::field("roles", "give at least one role").into());
        }
        let by = actor.name.clone();
        let mut unit = Unit::new(&by);
        let existing = unit.load::<User>(EntityRef::User(name.clone()));
        let unit = unit.decide(move |ctx| {
            if ctx.maybe(&existing).is_some() {
                return Err(DomainError::Conflict(format!(
                    "a user named `{name}` exists already"
                )));
            }
            let mut roles = roles;
            roles.sort();
            roles.dedup();
            let user = User {
                name: name.clone(),
                roles,
                created_at: ctx.now(),
                created_by: by,
                disabled: false,
            };
            let action = JournalAction::UserCreated(UserCreated {
                name: user.name.clone(),
                roles: user.roles.clone(),
            });
            Ok(Decided::new(user.clone())
                .insert(Entity::User(user))
                .journal(JournalDraft::new(format!("user:{name}"), action)))
        });
        self.run(unit).await
    }

    /// Creates an API token for a user with every scope their roles allow
    /// and the default expiry; returns the token record and the secret,
    /// shown once.
    pub async fn create_token(
        &self,
        actor: &Actor,
        user: &str,
    ) -> Result<(ApiToken, String), AppError> {
        self.issue_token(actor, user, TokenRequest::default()).await
    }

    /// Creates an API token: for oneself, or for anyone by those who manage
    /// users. Its scopes must be ones the owner's roles allow and, when it
    /// is made through a token, ones that token has. Returns the token
    /// record and the secret, shown once.
    pub async fn issue_token(
        &self,
        actor: &Actor,
        user: &str,
        request: TokenRequest,
    ) -> Result<(ApiToken, String), AppError> {
        if user != actor.name {
            actor.require(Action::ManageUsers)?;
        }
        let name = match request.name.as_deref() {
            None => "token".to_owned(),
            Some(raw) => {
                let name = Text::new(raw).map_err(|m| DomainError::field("name", m))?;
                if name.as_str().chars().count() > TOKEN_NAME_MAX {
                    return Err(DomainError::field(
                        "name",
                        format!("must be at most {TOKEN_NAME_MAX} characters"),
                    )
                    .into());
                }
                name.as_str().to_owned()
            }
        };
        let settings = self.auth_settings();
        let days = request.days.unwrap_or(settings.token_days_default);
        if !(1..=settings.token_days_max).contains(&days) {
            return Err(DomainError::field(
                "expires_in_days",
                format!(
                    "must be 1 to {} (this installation's longest)",
                    settings.token_days_max
                ),
            )
            .into());
        }
        if request.scopes.as_ref().is_some_and(Vec::is_empty) {
            return Err(DomainError::field(
                "scopes",
                "give at least one scope, or none at all for every scope the owner's roles allow",
            )
            .into());
        }
        if let (Some(wanted), Some(held)) = (&request.scopes, &actor.scopes)
            && let Some(s) = wanted.iter().find(|s| !held.contains(s))
        {
            return Err(DomainError::field(
                "scopes",
                format!("`{s}` is not a scope of the token this request came with"),
            )
            .into());
        }
        let expires_at = Timestamp::from_unix(
            self.clock().now().as_offset().unix_timestamp() + i64::from(days) * 86_400,
        );
        let secret = auth::new_token();
        let id = auth::token_id(&secret);
        let hash = auth::hash_token(&secret);
        let (by, user) = (actor.name.clone(), user.to_owned());
        // Made through a token: never more than that token may do.
        let held = actor.scopes.clone();
        let mut unit = Unit::new(&by);
        let owner = unit.load::<User>(EntityRef::User(user.clone()));
        let unit = unit.decide(move |ctx| {
            let owner = ctx.take(&owner, || format!("user `{user}`"))?;
            let allowed = Scope::allowed_for(&owner.roles);
            let scopes = match request.scopes {
                None => allowed
                    .into_iter()
                    .filter(|s| held.as_ref().is_none_or(|h| h.contains(s)))
                    .collect(),
                Some(wanted) => {
                    if let Some(s) = wanted.iter().find(|s| !allowed.contains(s)) {
                        return Err(DomainError::field(
                            "scopes",
                            format!(
                                "`{s}` covers nothing `{user}`'s roles allow; they allow: {}",
                                allowed
                                    .iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    }
                    wanted
                }
            };
            // A digest of the stored hash: the records check can tell the token was not swapped.
            let digest = rampart_store::records::secret_digest(&hash);
            let token = ApiToken {
                id: id.clone(),
                user: user.clone(),
                hash,
                created_at: ctx.now(),
                created_by: by,
                name,
                scopes: Some(scopes),
                expires_at,
                last_used_at: None,
            };
            let action = JournalAction::TokenCreated(TokenCreated {
                user: user.clone(),
                token_id: id,
                token_hash_sha256: Some(digest),
                name: Some(token.name.clone()),
                scopes: token.scopes.clone(),
                expires_at: token.expires_at,
            });
            Ok(Decided::new(token.clone())
                .insert(Entity::ApiToken(token))
                .journal(JournalDraft::new(format!("user:{user}"), action)))
        });
        Ok((self.run(unit).await?, secret))
    }

    /// On an empty installation, creates the `admin` user and returns its first token.
    pub async fn bootstrap_admin(&self) -> Result<Option<String>, AppError> {
        if self.store.user_count().await? > 0 {
            return Ok(None);
        }
        let system = Actor::system();
        match self.add_user(&system, "admin", vec![Role::Admin]).await {
            Ok(_) => {}
            // Another node created it first.
            Err(AppError::Domain(DomainError::Conflict(_))) => return Ok(None),
            Err(e) => return Err(e),
        }
        Ok(Some(self.create_token(&system, "admin").await?.1))
    }

    // ----- administration ------------------------------------------------------------

    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<(User, Credentials)>, AppError> {
        actor.require(Action::ManageUsers)?;
        let mut out = Vec::new();
        for user in self.store.list_users().await? {
            let credentials = self.credentials(&user.name).await?;
            out.push((user, credentials));
        }
        Ok(out)
    }

    /// Every active user with a role, by name (for pickers such as coordinator or restriction).
    pub async fn people_with(
        &self,
        actor: &Actor,
        roles: &[Role],
    ) -> Result<Vec<String>, AppError> {
        actor.require(Action::ViewIncidents)?;
        Ok(self
            .store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled && u.roles.iter().any(|r| roles.contains(r)))
            .map(|u| u.name)
            .collect())
    }

    /// Every API token, for those who manage users.
    pub async fn list_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>, AppError> {
        actor.require(Action::ManageUsers)?;
        Ok(self.store.list_tokens(None).await?)
    }

    /// The actor's own API tokens.
    pub async fn own_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>, AppError> {
        Ok(self.store.list_tokens(Some(&actor.name)).await?)
    }

    /// Changes a user's roles, or disables / enables them. Disabling ends their sessions.
    pub async fn update_user(
        &self,
        actor: &Actor,
        name: &str,
        roles: Option<Vec<Role>>,
        disabled: Option<bool>,
    ) -> Result<User, AppError> {
        actor.require(Action::ManageUsers)?;
        if roles.as_ref().is_some_and(Vec::is_empty) {
            return Err(DomainError::field("roles", "give at least one role").into());
        }
        if name == actor.name && disabled == Some(true) {
            return Err(DomainError::field("disabled", "you cannot disable yourself").into());
        }
        let user = name.to_owned();
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<User>(EntityRef::User(user.clone()));
        let unit = unit.decide(move |ctx| {
            let mut u = ctx.take(&loaded, || format!("user `{user}`"))?;
            let mut journal = Vec::new();
            let mut end_sessions = false;
            if let Some(mut roles) = roles {
                roles.sort();
                roles.dedup();
                journal.push(JournalDraft::new(
                    format!("user:{user}"),
                    JournalAction::UserRolesChanged(UserRolesChanged {
                        before: u.roles.clone(),
                        after: roles.clone(),
                    }),
                ));
                u.roles = roles;
            }
            if let Some(d) = disabled
                && d != u.disabled
            {
                u.disabled = d;
                let action = if d {
                    JournalAction::UserDisabled(NoDetails {})
                } else {
                    JournalAction::UserEnabled(NoDetails {})
                };
                journal.push(JournalDraft::new(format!("user:{user}"), action));
                end_sessions = d;
            }
            let mut decided = Decided::new(u.clone()).update(Entity::User(u));
            if end_sessions {
                decided = decided.write(Write::EndSessionsOf(user));
            }
            Ok(journal.into_iter().fold(decided, Decided::journal))
        });
        self.run(unit).await
    }

    /// Revokes an API token by its public id: one's own, or anyone's for
    /// those who manage users.
    pub async fn revoke_token(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        let manager = actor.may(Action::ManageUsers);
        let token = self
            .store
            .list_tokens((!manager).then_some(actor.name.as_str()))
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| DomainError::NotFound(format!("token {id}")))?;
        let unit = Unit::new(&actor.name).decide(move |_| {
            Ok(Decided::new(())
                .write(Write::Delete(EntityRef::ApiToken(token.hash.clone())))
                .journal(JournalDraft::new(
                    format!("user:{}", token.user),
                    JournalAction::TokenRevoked(TokenRevoked { token_id: token.id }),
                )))
        });
        self.run(unit).await
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::{Actor, Role, Scope};

    use crate::ErrorKind;
    use crate::testing::TestApp;

    #[tokio::test]
    async fn a_token_authenticates_its_user_until_it_is_revoked() {
        let t = TestApp::new().await;
        let admin = t.user("ada", &[Role::Admin]).await;
        let ian = t.user("ian", &[Role::IsirtMember]).await;
        // Anyone makes their own tokens; only admins make others'.
        let refused = t.app.create_token(&ian, "ada").await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);

        let (token, secret) = t.app.create_token(&admin, "ian").await.unwrap();
        let scoped = ian.with_scopes(Scope::allowed_for(&[Role::IsirtMember]));
        assert_eq!(t.app.authenticate(&secret).await.unwrap(), Some(scoped));
        t.app.revoke_token(&admin, &token.id).await.unwrap();
        assert_eq!(t.app.authenticate(&secret).await.unwrap(), None);
        let journal = ["user.created", "token.created", "token.revoked"];
        assert_eq!(t.actions("user:ian").await, journal);
    }

    #[tokio::test]
    async fn role_changes_apply_to_a_token_at_once_and_disabling_stops_it() {
        let t = TestApp::new().await;
        t.user("pat", &[Role::Poc]).await;
        let system = Actor::system();
        let (_, secret) = t.app.create_token(&system, "pat").await.unwrap();
        assert!(t.app.authenticate(&secret).await.unwrap().is_some());

        let roles = Some(vec![Role::IsirtMember]);
        t.app
            .update_user(&system, "pat", roles, None)
            .await
            .unwrap();
        let actor = t.app.authenticate(&secret).await.unwrap().unwrap();
        assert_eq!(actor.roles, [Role::IsirtMember]);
        t.app
            .update_user(&system, "pat", None, Some(true))
            .await
            .unwrap();
        assert_eq!(t.app.authenticate(&secret).await.unwrap(), None);
    }
}
