//! Typed ids, so an organization id can never be passed where a conversation id is meant.

use std::fmt;

use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id (UUID v7), so ids sort roughly by creation.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses the hyphenated form stored in D1 and used in URLs.
            pub fn parse(raw: &str) -> Option<Self> {
                Uuid::try_parse(raw).ok().map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).ok_or_else(|| serde::de::Error::custom("not an id"))
            }
        }
    };
}

id_type!(
    /// The tenant: every row belongs to exactly one organization.
    OrgId
);
id_type!(
    /// A website of an organization.
    DomainId
);
id_type!(ConversationId);
id_type!(MessageId);
id_type!(LeadId);
id_type!(ApiKeyId);
id_type!(KnowledgeId);
id_type!(
    /// A website crawled or a document uploaded, which the assistant answers from.
    SourceId
);
impl From<KnowledgeId> for SourceId {
    /// A knowledge entry's source shares its id, so a citation names the entry.
    fn from(entry: KnowledgeId) -> Self {
        Self(entry.0)
    }
}

id_type!(
    /// A page of a website source.
    PageId
);
id_type!(UserId);
id_type!(InvitationId);
id_type!(AuditEventId);
id_type!(
    /// Budget held by a reply in flight, in the organization's meter.
    ReservationId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let id = ConversationId::generate();
        assert_eq!(ConversationId::parse(&id.to_string()), Some(id));
        assert_eq!(ConversationId::parse("not-a-uuid"), None);
        assert_eq!(ConversationId::parse("' OR 1=1 --"), None);
    }
}
