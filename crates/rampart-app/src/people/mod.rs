//! People in the browser: password sign-in with throttling kept in the
//! database (so it holds across nodes), sessions, password changes, TOTP
//! second factors, and the admin's management of users and tokens. Every
//! sign-in, failure and lockout is a journal entry.

use std::time::Duration;

use rampart_domain::journal::{
    AuthLocked, AuthLogin, AuthLoginFailed, AuthTotpEnrolled, LockScope, NoDetails, PasswordDigest,
    UserTotpRequired,
};
use rampart_domain::{Action, Actor, DomainError, JournalAction, Timestamp};
use rampart_store::records::secret_digest;
use rampart_store::{
    Credentials, Entity, EntityRef, JournalDraft, Session, SessionStage, Throttle, User, Write,
};

use crate::App;
use crate::AppError;
use crate::auth;
use crate::unit::{Decided, Unit};

pub(crate) mod users;

pub use users::TokenRequest;

/// How long sessions live and how hard sign-in is throttled.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// A session unused for this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, used or not.
    pub absolute_timeout: Duration,
    /// Failed sign-ins for one account name within `window` before it is locked.
    pub account_failures: u32,
    /// Failed sign-ins from one address within `window` before it is blocked.
    pub address_failures: u32,
    pub window: Duration,
    /// How long a lock lasts.
    pub lockout: Duration,
    /// Reports the public intake page accepts from one address per hour.
    pub public_reports_per_hour: u32,
    /// Days a new API token works when its maker names no expiry.
    pub token_days_default: u32,
    /// Most days a new API token may work.
    pub token_days_max: u32,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 3600),
            account_failures: 5,
            address_failures: 20,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(15 * 60),
            public_reports_per_hour: 10,
            token_days_default: 90,
            token_days_max: 365,
        }
    }
}

/// Why a sign-in was refused. Neither says whether the account exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Wrong name, password or code.
    Invalid,
    /// Too many failures for this name or from this address.
    Locked,
}

impl Refusal {
    /// The message shown to the person signing in.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Invalid => "Sign-in failed: the name, password or code is not right.",
            Refusal::Locked => {
                "Too many failed sign-ins. Sign-in for this name or from this address is paused; try again in 15 minutes."
            }
        }
    }
}

/// What a sign-in step led to.
#[derive(Debug)]
pub enum SignIn {
    /// A new session (its secret id, for the cookie) at the given stage.
    Session {
        id: String,
        session: Box<Session>,
    },
    Refused(Refusal),
}

fn add(t: Timestamp, d: Duration) -> Timestamp {
    Timestamp::from_offset(
        t.as_offset() + time::Duration::try_from(d).unwrap_or(time::Duration::HOUR),
    )
}

fn unix(t: Timestamp) -> u64 {
    u64::try_from(t.as_offset().unix_timestamp()).unwrap_or(0)
}

/// The `auth.login` entry of a sign-in; its address is filled in when the session starts.
fn signed_in(second_factor: bool) -> AuthLogin {
    AuthLogin {
        second_factor,
        address: String::new(),
    }
}

fn account_key(name: &str) -> String {
    format!("account:{name}")
}

fn address_key(address: &str) -> String {
    format!("address:{address}")
}

/// A name as typed, made safe for keys and the journal.
fn typed_name(raw: &str) -> String {
    raw.trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect()
}

fn locked(t: Option<&Throttle>, now: Timestamp) -> bool {
    t.is_some_and(|t| t.locked_until.is_some_and(|u| u > now))
}

/// Counts one failure on a throttle record; returns the write and whether it just locked.
fn count_failure(
    existing: Option<Throttle>,
    key: String,
    limit: u32,
    settings: &AuthSettings,
    now: Timestamp,
) -> (Write, bool) {
    let exists = existing.is_some();
    let mut t = existing
        .filter(|t| add(t.window_start, settings.window) > now)
        .unwrap_or(Throttle {
            key,
            failures: 0,
            window_start: now,
            locked_until: None,
        });
    t.failures = t.failures.saturating_add(1);
    let just_locked = t.failures >= limit && t.locked_until.is_none_or(|u| u <= now);
    if just_locked {
        t.locked_until = Some(add(now, settings.lockout));
    }
    let write = if exists {
        Write::Update(Entity::Throttle(t))
    } else {
        Write::Insert(Entity::Throttle(t))
    };
    (write, just_locked)
}

impl App {
    /// How sign-in, sessions and throttling behave on this server.
    pub fn auth_settings(&self) -> &AuthSettings {
        &self.settings
    }

    async fn user_and_credentials(
        &self,
        name: &str,
    ) -> Result<(Option<User>, Option<Credentials>), AppError> {
        let user = self
            .store
            .get(&EntityRef::User(name.to_owned()))
            .await?
            .and_then(Entity::into_user);
        let credentials = self
            .store
            .get(&EntityRef::Credentials(name.to_owned()))
            .await?
            .and_then(Entity::into_credentials);
        Ok((user, credentials))
    }

    async fn is_locked(&self, name: &str, address: &str) -> Result<bool, AppError> {
        let now = self.clock.now();
        for key in [account_key(name), address_key(address)] {
            let throttle = self
                .store
                .get(&EntityRef::Throttle(key))
                .await?
                .and_then(Entity::into_throttle);
            if locked(throttle.as_ref(), now) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Records a failed sign-in (and a lockout when it tips the balance).
    async fn fail_sign_in(
        &self,
        name: &str,
        address: &str,
        reason: &'static str,
    ) -> Result<SignIn, AppError> {
        let settings = self.settings.clone();
        let (name, address) = (name.to_owned(), address.to_owned());
        let mut unit = Unit::new("anonymous");
        let account = unit.load::<Throttle>(EntityRef::Throttle(account_key(&name)));
        let address_row = unit.load::<Throttle>(EntityRef::Throttle(address_key(&address)));
        let unit = unit.decide(move |ctx| {
            let now = ctx.now();
            let (account, address_row) = (ctx.maybe(&account), ctx.maybe(&address_row));
            let entity = format!("user:{name}");
            let mut decided = Decided::new(()).journal(JournalDraft::new(
                &entity,
                JournalAction::AuthLoginFailed(AuthLoginFailed {
                    name: name.clone(),
                    address: address.clone(),
                    reason: reason.into(),
                }),
            ));
            let minutes = settings.lockout.as_secs() / 60;
            let (w1, account_locked) = count_failure(
                account,
                account_key(&name),
                settings.account_failures,
                &settings,
                now,
            );
            let (w2, address_locked) = count_failure(
                address_row,
                address_key(&address),
                settings.address_failures,
                &settings,
                now,
            );
            if account_locked {
                decided = decided.journal(JournalDraft::new(
                    &entity,
                    JournalAction::AuthLocked(AuthLocked {
                        scope: LockScope::Account,
                        name: Some(name.clone()),
                        address: None,
                        minutes,
                    }),
                ));
            }
            if address_locked {
                decided = decided.journal(JournalDraft::new(
                    &entity,
                    JournalAction::AuthLocked(AuthLocked {
                        scope: LockScope::Address,
                        name: None,
                        address: Some(address.clone()),
                        minutes,
                    }),
                ));
            }
            Ok(decided.write(w1).write(w2))
        });
        self.run(unit).await?;
        Ok(SignIn::Refused(Refusal::Invalid))
    }

    /// Starts a session for `user` at `stage`, ending `replaces` (rotation).
    async fn start_session(
        &self,
        user: &str,
        stage: SessionStage,
        address: &str,
        replaces: Option<&str>,
        login: Option<AuthLogin>,
    ) -> Result<SignIn, AppError> {
        let id = auth::new_secret();
        let id_hash = auth::hash_session_id(&id);
        let settings = self.settings.clone();
        let (user, address) = (user.to_owned(), address.to_owned());
        let replaces = replaces.map(str::to_owned);
        let mut unit = Unit::new(&user);
        let throttle = unit.load::<Throttle>(EntityRef::Throttle(account_key(&user)));
        let unit = unit.decide(move |ctx| {
            let now = ctx.now();
            // Another node may have locked the account meanwhile.
            if locked(ctx.maybe(&throttle).as_ref(), now) {
                return Err(DomainError::Forbidden {
                    actor: String::new(),
                    action: "sign_in".into(),
                    allowed: vec![],
                });
            }
            let absolute = add(now, settings.absolute_timeout);
            let session = Session {
                id_hash,
                user: user.clone(),
                stage,
                csrf: auth::new_secret(),
                created_at: now,
                last_seen: now,
                absolute_expiry: absolute,
                expires_at: add(now, settings.idle_timeout).min(absolute),
                pending_totp: None,
                address: address.clone(),
            };
            let mut decided = Decided::new(session.clone()).write(Write::PurgeSessions(now));
            if let Some(old) = replaces {
                decided = decided.write(Write::Delete(EntityRef::Session(old)));
            }
            if stage == SessionStage::Active {
                decided = decided.write(Write::Delete(EntityRef::Throttle(account_key(&user))));
            }
            decided = decided.insert(Entity::Session(session));
            if let Some(login) = login {
                let login = AuthLogin {
                    address: address.clone(),
                    ..login
                };
                decided = decided.journal(JournalDraft::new(
                    format!("user:{user}"),
                    JournalAction::AuthLogin(login),
                ));
            }
            Ok(decided)
        });
        match self.run(unit).await {
            Ok(session) => Ok(SignIn::Session {
                id,
                session: Box::new(session),
            }),
            Err(AppError::Domain(DomainError::Forbidden { .. })) => {
                Ok(SignIn::Refused(Refusal::Locked))
            }
            Err(e) => Err(e),
        }
    }

    /// First sign-in step: name and password from `address`. `replaces` is
    /// the session id the browser presented, which is ended (rotation).
    pub async fn sign_in(
        &self,
        name: &str,
        password: &str,
        address: &str,
        replaces: Option<&str>,
    ) -> Result<SignIn, AppError> {
        let name = typed_name(name);
        if self.is_locked(&name, address).await? {
            self.fail_sign_in(&name, address, "locked").await?;
            return Ok(SignIn::Refused(Refusal::Locked));
        }
        let (user, credentials) = self.user_and_credentials(&name).await?;
        let stored = credentials.as_ref().and_then(|c| c.password_hash.clone());
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || {
            auth::verify_password(&password, stored.as_deref())
        })
        .await
        .unwrap_or(false);
        let active = user.as_ref().is_some_and(|u| !u.disabled);
        if !ok || !active {
            return self.fail_sign_in(&name, address, "password").await;
        }
        let replaces = replaces.map(auth::hash_session_id);
        let credentials = credentials.unwrap_or_else(|| Credentials::empty(&name));
        let stage = if credentials.totp_secret.is_some() {
            SessionStage::AwaitingTotp
        } else if credentials.totp_required {
            SessionStage::MustEnrolTotp
        } else {
            SessionStage::Active
        };
        let login = (stage == SessionStage::Active).then(|| signed_in(false));
        self.start_session(&name, stage, address, replaces.as_deref(), login)
            .await
    }

    /// Second sign-in step: the TOTP code for a session awaiting it.
    pub async fn sign_in_totp(
        &self,
        session: &Session,
        code: &str,
        address: &str,
    ) -> Result<SignIn, AppError> {
        if session.stage != SessionStage::AwaitingTotp {
            return Ok(SignIn::Refused(Refusal::Invalid));
        }
        let name = session.user.clone();
        if self.is_locked(&name, address).await? {
            self.fail_sign_in(&name, address, "locked").await?;
            return Ok(SignIn::Refused(Refusal::Locked));
        }
        let now = self.clock.now();
        let (_, credentials) = self.user_and_credentials(&name).await?;
        let Some(credentials) = credentials else {
            return self.fail_sign_in(&name, address, "totp").await;
        };
        let step = credentials
            .totp_secret
            .as_deref()
            .and_then(|secret| auth::check_totp(secret, &name, code, unix(now)))
            .filter(|step| credentials.totp_last_step.is_none_or(|last| *step > last));
        let Some(step) = step else {
            return self.fail_sign_in(&name, address, "totp").await;
        };
        self.save_credentials(&name, move |c| {
            c.totp_last_step = Some(step);
            Ok(None)
        })
        .await?;
        self.start_session(
            &name,
            SessionStage::Active,
            address,
            Some(&session.id_hash),
            Some(signed_in(true)),
        )
        .await
    }

    /// The session behind a cookie, if it is still valid; refreshes its idle expiry.
    pub async fn session(&self, id: &str) -> Result<Option<(Session, Actor)>, AppError> {
        if id.len() != 43 {
            return Ok(None);
        }
        let now = self.clock.now();
        let hash = auth::hash_session_id(id);
        let Some(mut session) = self
            .store
            .get(&EntityRef::Session(hash))
            .await?
            .and_then(Entity::into_session)
        else {
            return Ok(None);
        };
        if session.expires_at <= now || session.absolute_expiry <= now {
            return Ok(None);
        }
        let Some(user) = self
            .store
            .get(&EntityRef::User(session.user.clone()))
            .await?
            .and_then(Entity::into_user)
            .filter(|u| !u.disabled)
        else {
            return Ok(None);
        };
        // Refresh at most once a minute, to keep writes off the read path.
        if add(session.last_seen, Duration::from_secs(60)) < now {
            session.last_seen = now;
            session.expires_at = add(now, self.settings.idle_timeout).min(session.absolute_expiry);
            let write = session.clone();
            let unit = Unit::new(&session.user)
                .decide(move |_| Ok(Decided::new(write.clone()).update(Entity::Session(write))));
            session = match self.run(unit).await {
                // Signed out meanwhile.
                Err(AppError::Domain(DomainError::NotFound(_))) => return Ok(None),
                other => other?,
            };
        }
        Ok(Some((session, Actor::new(user.name, user.roles))))
    }

    /// Ends a session.
    pub async fn sign_out(&self, session: &Session) -> Result<(), AppError> {
        let hash = session.id_hash.clone();
        let entity = format!("user:{}", session.user);
        let unit = Unit::new(&session.user).decide(move |_| {
            Ok(Decided::new(())
                .write(Write::Delete(EntityRef::Session(hash)))
                .journal(JournalDraft::new(
                    entity,
                    JournalAction::AuthLogout(NoDetails {}),
                )))
        });
        self.run(unit).await
    }

    /// Loads, changes and saves a user's credentials with a journal entry.
    async fn save_credentials(
        &self,
        user: &str,
        change: impl FnOnce(&mut Credentials) -> Result<Option<JournalDraft>, DomainError>
        + Send
        + 'static,
    ) -> Result<Credentials, AppError> {
        self.save_credentials_as(user, user, false, change).await
    }

    async fn save_credentials_as(
        &self,
        actor: &str,
        user: &str,
        end_sessions: bool,
        change: impl FnOnce(&mut Credentials) -> Result<Option<JournalDraft>, DomainError>
        + Send
        + 'static,
    ) -> Result<Credentials, AppError> {
        let name = user.to_owned();
        let mut unit = Unit::new(actor);
        let loaded_user = unit.load::<User>(EntityRef::User(name.clone()));
        let loaded = unit.load::<Credentials>(EntityRef::Credentials(name.clone()));
        let unit = unit.decide(move |ctx| {
            ctx.take(&loaded_user, || format!("user `{name}`"))?;
            let existing = ctx.maybe(&loaded);
            let exists = existing.is_some();
            let mut c = existing.unwrap_or_else(|| Credentials::empty(&name));
            let journal = change(&mut c)?;
            let mut decided = Decided::new(c.clone());
            if end_sessions {
                decided = decided.write(Write::EndSessionsOf(name.clone()));
            }
            decided = if exists {
                decided.update(Entity::Credentials(c))
            } else {
                decided.insert(Entity::Credentials(c))
            };
            if let Some(entry) = journal {
                decided = decided.journal(entry);
            }
            Ok(decided)
        });
        self.run(unit).await
    }

    async fn hash_new_password(password: &str, field: &str) -> Result<String, AppError> {
        auth::check_new_password(password).map_err(|m| DomainError::field(field, m))?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || auth::hash_password(&password))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(AppError::Internal)
    }

    /// A user changes their own password; every other session of theirs ends
    /// and a fresh session replaces the current one.
    pub async fn change_password(
        &self,
        session: &Session,
        current: &str,
        new: &str,
        address: &str,
    ) -> Result<SignIn, AppError> {
        let name = session.user.clone();
        let (_, credentials) = self.user_and_credentials(&name).await?;
        let stored = credentials.and_then(|c| c.password_hash);
        let current = current.to_owned();
        let ok =
            tokio::task::spawn_blocking(move || auth::verify_password(&current, stored.as_deref()))
                .await
                .unwrap_or(false);
        if !ok {
            return Err(
                DomainError::field("current_password", "is not your current password").into(),
            );
        }
        if new == session.user {
            return Err(DomainError::field("new_password", "must not be your user name").into());
        }
        let hash = Self::hash_new_password(new, "new_password").await?;
        let entity = format!("user:{name}");
        self.save_credentials_as(&name, &name, true, move |c| {
            let action = JournalAction::AuthPasswordChanged(PasswordDigest {
                password_hash_sha256: Some(secret_digest(&hash)),
            });
            c.password_hash = Some(hash);
            Ok(Some(JournalDraft::new(entity, action)))
        })
        .await?;
        self.start_session(&name, SessionStage::Active, address, None, None)
            .await
    }

    /// An admin sets a user's password (first password, or a reset); the
    /// user's sessions end.
    pub async fn set_password(
        &self,
        actor: &Actor,
        user: &str,
        password: &str,
    ) -> Result<(), AppError> {
        actor.require(Action::ManageUsers)?;
        let hash = Self::hash_new_password(password, "password").await?;
        let entity = format!("user:{user}");
        self.save_credentials_as(&actor.name, user, true, move |c| {
            let action = JournalAction::UserPasswordSet(PasswordDigest {
                password_hash_sha256: Some(secret_digest(&hash)),
            });
            c.password_hash = Some(hash);
            Ok(Some(JournalDraft::new(entity, action)))
        })
        .await?;
        Ok(())
    }

    /// An admin requires (or stops requiring) a second factor for a user.
    pub async fn require_totp(
        &self,
        actor: &Actor,
        user: &str,
        required: bool,
    ) -> Result<(), AppError> {
        actor.require(Action::ManageUsers)?;
        let entity = format!("user:{user}");
        self.save_credentials_as(&actor.name, user, false, move |c| {
            c.totp_required = required;
            Ok(Some(JournalDraft::new(
                entity,
                JournalAction::UserTotpRequired(UserTotpRequired { required }),
            )))
        })
        .await?;
        Ok(())
    }

    /// An admin removes a user's second factor (lost device); the user must
    /// enrol again if it is required.
    pub async fn reset_totp(&self, actor: &Actor, user: &str) -> Result<(), AppError> {
        actor.require(Action::ManageUsers)?;
        let entity = format!("user:{user}");
        self.save_credentials_as(&actor.name, user, true, move |c| {
            c.totp_secret = None;
            c.totp_last_step = None;
            Ok(Some(JournalDraft::new(
                entity,
                JournalAction::UserTotpReset(NoDetails {}),
            )))
        })
        .await?;
        Ok(())
    }

    /// The user's credentials (for the account page: is TOTP on, is it required).
    pub async fn credentials(&self, user: &str) -> Result<Credentials, AppError> {
        Ok(self
            .user_and_credentials(user)
            .await?
            .1
            .unwrap_or_else(|| Credentials::empty(user)))
    }

    /// Offers a new TOTP secret to a session's user; kept on the session until confirmed.
    pub async fn begin_totp(&self, session: &Session) -> Result<String, AppError> {
        let secret = auth::new_totp_secret();
        let mut updated = session.clone();
        updated.pending_totp = Some(secret.clone());
        let unit = Unit::new(&session.user)
            .decide(move |_| Ok(Decided::new(secret).update(Entity::Session(updated))));
        self.run(unit).await
    }

    /// Confirms enrolment with a code from the new secret. A session that had
    /// to enrol becomes a full session (with a new id).
    pub async fn confirm_totp(
        &self,
        session: &Session,
        code: &str,
        address: &str,
    ) -> Result<Option<SignIn>, AppError> {
        let now = self.clock.now();
        let name = session.user.clone();
        let secret = session.pending_totp.clone().ok_or_else(|| {
            DomainError::field("code", "start the set-up again: no secret was offered")
        })?;
        let step = auth::check_totp(&secret, &name, code, unix(now)).ok_or_else(|| {
            DomainError::field("code", "is not the current code of the new secret")
        })?;
        let entity = format!("user:{name}");
        self.save_credentials(&name, move |c| {
            let action = JournalAction::AuthTotpEnrolled(AuthTotpEnrolled {
                totp_secret_sha256: Some(secret_digest(&secret)),
            });
            c.totp_secret = Some(secret);
            c.totp_last_step = Some(step);
            Ok(Some(JournalDraft::new(entity, action)))
        })
        .await?;
        let login = (session.stage == SessionStage::MustEnrolTotp).then(|| signed_in(true));
        Ok(Some(
            self.start_session(
                &name,
                SessionStage::Active,
                address,
                Some(&session.id_hash),
                login,
            )
            .await?,
        ))
    }

    /// Counts one report from the public intake page against its address;
    /// false when the address has reached its hourly allowance.
    pub async fn allow_public_report(&self, address: &str) -> Result<bool, AppError> {
        let limit = self.settings.public_reports_per_hour;
        let key = format!("intake:{address}");
        let mut unit = Unit::new("anonymous");
        let loaded = unit.load::<Throttle>(EntityRef::Throttle(key.clone()));
        let unit = unit.decide(move |ctx| {
            let now = ctx.now();
            let existing = ctx.maybe(&loaded);
            let exists = existing.is_some();
            let mut t = existing
                .filter(|t| add(t.window_start, Duration::from_secs(3600)) > now)
                .unwrap_or(Throttle {
                    key,
                    failures: 0,
                    window_start: now,
                    locked_until: None,
                });
            if t.failures >= limit {
                return Err(DomainError::Forbidden {
                    actor: String::new(),
                    action: "public_report".into(),
                    allowed: vec![],
                });
            }
            t.failures += 1;
            let decided = Decided::new(());
            Ok(if exists {
                decided.update(Entity::Throttle(t))
            } else {
                decided.insert(Entity::Throttle(t))
            })
        });
        match self.run(unit).await {
            Ok(()) => Ok(true),
            Err(AppError::Domain(DomainError::Forbidden { .. })) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::Role;
    use rampart_store::{Session, SessionStage};

    use super::{Refusal, SignIn};
    use crate::testing::{PASSWORD, TestApp};

    const ADDRESS: &str = "192.0.2.1";

    /// Signs in with the right password; returns the cookie's id and the session.
    async fn signed_in(t: &TestApp, name: &str) -> (String, Session) {
        match t.app.sign_in(name, PASSWORD, ADDRESS, None).await.unwrap() {
            SignIn::Session { id, session } => (id, *session),
            SignIn::Refused(r) => panic!("sign-in refused: {r:?}"),
        }
    }

    async fn refused(t: &TestApp, name: &str, password: &str) -> Option<Refusal> {
        match t.app.sign_in(name, password, ADDRESS, None).await.unwrap() {
            SignIn::Refused(r) => Some(r),
            SignIn::Session { .. } => None,
        }
    }

    #[tokio::test]
    async fn signing_in_starts_a_session_and_signing_out_ends_it() {
        let t = TestApp::new().await;
        t.account("pat", &[Role::Poc]).await;
        let (id, session) = signed_in(&t, "Pat ").await;
        assert_eq!(session.stage, SessionStage::Active);
        let (_, actor) = t.app.session(&id).await.unwrap().expect("a live session");
        assert_eq!((actor.name.as_str(), actor.roles), ("pat", vec![Role::Poc]));

        t.app.sign_out(&session).await.unwrap();
        assert!(t.app.session(&id).await.unwrap().is_none());
        let actions = t.actions("user:pat").await;
        assert_eq!(actions[actions.len() - 2..], ["auth.login", "auth.logout"]);
    }

    #[tokio::test]
    async fn failures_are_refused_alike_and_repeated_ones_lock_the_account_for_a_while() {
        let t = TestApp::new().await;
        t.account("pat", &[Role::Poc]).await;
        // An unknown name is refused as a wrong password is: neither says which.
        let unknown = refused(&t, "nobody", PASSWORD).await;
        assert_eq!(unknown, Some(Refusal::Invalid));
        assert_eq!(t.actions("user:nobody").await, ["auth.login_failed"]);
        for _ in 0..t.app.auth_settings().account_failures {
            assert_eq!(refused(&t, "pat", "guess").await, Some(Refusal::Invalid));
        }
        assert!(t.actions("user:pat").await.contains(&"auth.locked".into()));
        assert_eq!(refused(&t, "pat", PASSWORD).await, Some(Refusal::Locked));
        t.clock.advance(time::Duration::minutes(16));
        signed_in(&t, "pat").await;
    }
}
