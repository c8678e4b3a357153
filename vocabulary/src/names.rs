//! The one way a dimension becomes text and back: its command-line name,
//! through `Display` and `FromStr`, and serde as that same string
//! ([`named_serde!`]); and the one error a name that does not parse gives
//! ([`UnknownName`]), which says what was expected.

/// A name that is not one of a dimension's: what was given and, in words,
/// what is allowed. Its message is one line a user can act on:
/// `capacity 'bounded:0' is not one of: rendezvous, bounded:N (N >= 1), unbounded`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} '{given}' is not one of: {allowed}")]
pub struct UnknownName {
    /// The dimension (`transport`, `capacity`, ...).
    pub what: &'static str,
    /// The text given.
    pub given: String,
    /// The allowed names, in words.
    pub allowed: String,
}

impl UnknownName {
    /// `given` is not a `what`; `allowed` lists what is.
    pub fn new(what: &'static str, given: &str, allowed: impl Into<String>) -> Self {
        UnknownName { what, given: given.to_owned(), allowed: allowed.into() }
    }
}

/// Serde for a type with `Display` and `FromStr<Err = UnknownName>`: the
/// command-line name as a string, and a bad name an error that names the
/// choices.
macro_rules! named_serde {
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
                out.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(input: D) -> Result<Self, D::Error> {
                let name = <std::borrow::Cow<'de, str>>::deserialize(input)?;
                name.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A closed set of names: `ALL`, `name()`, `Display`, `FromStr` and serde,
/// from one list of `Variant => "name"` pairs.
macro_rules! named_enum {
    ($ty:ident, $what:literal, $($variant:ident => $name:literal),+ $(,)?) => {
        impl $ty {
            /// Every value, in the order reports list them.
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            /// The name the command line and the results use.
            pub fn name(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.name())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok($ty::$variant),)+
                    _ => Err($crate::UnknownName::new($what, s, [$($name),+].join(", "))),
                }
            }
        }

        $crate::names::named_serde!($ty);
    };
}

pub(crate) use {named_enum, named_serde};
