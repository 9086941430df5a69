//! Users and API tokens: authentication of a token (with a short-lived
//! cache), and the admin's management of users and tokens.

use rampart_domain::journal::{
    NoDetails, TokenCreated, TokenRevoked, UserCreated, UserRolesChanged,
};
use rampart_domain::{Action, Actor, DomainError, JournalAction, Role};
use rampart_store::{ApiToken, Credentials, Entity, EntityRef, JournalDraft, User, Write};

use crate::unit::{Decided, Unit};
use crate::{App, AppError, RESERVED_NAMES, auth};

/// How long a verified API token is trusted without asking the store again.
/// A change of users or tokens on this node empties the cache at once; on
/// other nodes it takes effect within this time.
const TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(2);
/// Most tokens remembered; past that the cache starts afresh.
const TOKEN_CACHE: usize = 10_000;

/// Recently verified API tokens: SHA-256 of the token → the actor, and when.
#[derive(Debug, Default)]
pub(crate) struct TokenCache(
    std::sync::Mutex<std::collections::HashMap<String, (Actor, std::time::Instant)>>,
);

impl TokenCache {
    pub(crate) fn get(&self, hash: &str) -> Option<Actor> {
        let cache = self.0.lock().ok()?;
        cache
            .get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_TTL)
            .map(|(actor, _)| actor.clone())
    }

    pub(crate) fn put(&self, hash: String, actor: Actor) {
        if let Ok(mut cache) = self.0.lock() {
            if cache.len() >= TOKEN_CACHE {
                cache.clear();
            }
            cache.insert(hash, (actor, std::time::Instant::now()));
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut cache) = self.0.lock() {
            cache.clear();
        }
    }
}

impl App {
    /// The actor behind an API token, if the token is valid and its user active.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Actor>, AppError> {
        if !auth::looks_like_token(token) {
            return Ok(None);
        }
        let hash = auth::hash_token(token);
        if let Some(actor) = self.tokens.get(&hash) {
            return Ok(Some(actor));
        }
        let actor = self
            .store
            .token_user(&hash)
            .await?
            .filter(|u| !u.disabled)
            .map(|u| Actor::new(u.name, u.roles));
        if let Some(actor) = &actor {
            self.tokens.put(hash, actor.clone());
        }
        Ok(actor)
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

    /// Creates an API token for a user; returns the token record and the secret, shown once.
    pub async fn create_token(
        &self,
        actor: &Actor,
        user: &str,
    ) -> Result<(ApiToken, String), AppError> {
        actor.require(Action::ManageUsers)?;
        let secret = auth::new_token();
        let id = auth::token_id(&secret);
        let hash = auth::hash_token(&secret);
        let (by, user) = (actor.name.clone(), user.to_owned());
        let mut unit = Unit::new(&by);
        let owner = unit.load::<User>(EntityRef::User(user.clone()));
        let unit = unit.decide(move |ctx| {
            ctx.take(&owner, || format!("user `{user}`"))?;
            // A digest of the stored hash: the records check can tell the token was not swapped.
            let digest = rampart_store::records::secret_digest(&hash);
            let token = ApiToken {
                id: id.clone(),
                user: user.clone(),
                hash,
                created_at: ctx.now(),
                created_by: by,
            };
            let action = JournalAction::TokenCreated(TokenCreated {
                user: user.clone(),
                token_id: id,
                token_hash_sha256: Some(digest),
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

    pub async fn list_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>, AppError> {
        actor.require(Action::ManageUsers)?;
        Ok(self.store.list_tokens(None).await?)
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

    /// Revokes an API token by its public id.
    pub async fn revoke_token(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        actor.require(Action::ManageUsers)?;
        let token = self
            .store
            .list_tokens(None)
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
    use rampart_domain::{Actor, Role};

    use crate::ErrorKind;
    use crate::testing::TestApp;

    #[tokio::test]
    async fn a_token_authenticates_its_user_until_it_is_revoked() {
        let t = TestApp::new().await;
        let admin = t.user("ada", &[Role::Admin]).await;
        let ian = t.user("ian", &[Role::IsirtMember]).await;
        let refused = t.app.create_token(&ian, "ian").await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Forbidden);

        let (token, secret) = t.app.create_token(&admin, "ian").await.unwrap();
        assert_eq!(t.app.authenticate(&secret).await.unwrap(), Some(ian));
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
