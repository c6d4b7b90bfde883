//! The launcher as a page shows it before the widget starts: the site's colours and side, the
//! page's language and the launcher's name in it. The edge works it out
//! (`GET /v1/widget/look`) so that the loader, which every page of the site pays for, only
//! paints it. The script tag's `data-color`, `data-position` and `data-lang` come before the
//! site's settings; one that cannot be read is passed over, so a typo in a tag never hides the
//! launcher.

use serde::{Deserialize, Serialize};

use crate::config::{is_hex_colour, readable_on, Position, WidgetConfig};
use crate::i18n;

/// What the script tag says of the look, as written there.
#[derive(Debug, Default, Clone)]
pub struct TagLook {
    pub color: Option<String>,
    pub position: Option<String>,
    pub lang: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Look {
    /// The launcher's colour, and the text colour on it.
    pub primary: String,
    pub on_primary: String,
    pub position: Position,
    /// The language of the widget's words (`en`), and its direction (`ltr` or `rtl`).
    pub lang: String,
    pub dir: String,
    /// The launcher's name, and the word after the count of unread replies in it.
    pub open_chat: String,
    pub unread: String,
}

impl Look {
    /// `config` under the tag's attributes; `browser` is the visitor's languages, most wanted
    /// first.
    pub fn of<'a>(config: &'a WidgetConfig, tag: &'a TagLook, browser: impl IntoIterator<Item = &'a str>) -> Self {
        let forced = tag.color.as_deref().map(str::trim).filter(|c| is_hex_colour(c));
        let (primary, on_primary) = match forced {
            Some(c) => (c.to_owned(), readable_on(c).to_owned()),
            None => (config.theme.primary.clone(), config.theme.on_primary.clone()),
        };
        let lang = i18n::choose(tag.lang.as_deref(), Some(&config.language), browser);
        let (open_chat, unread) = lang.launcher_words();
        Self {
            primary,
            on_primary,
            position: tag.position.as_deref().and_then(Position::from_tag).unwrap_or(config.position),
            lang: lang.tag().to_owned(),
            dir: lang.dir().to_owned(),
            open_chat: open_chat.to_owned(),
            unread: unread.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Theme;

    fn site() -> WidgetConfig {
        WidgetConfig {
            theme: Theme { primary: "#0f766e".into(), on_primary: "#ffffff".into() },
            language: "de".into(),
            ..WidgetConfig::default()
        }
    }

    fn tag(color: Option<&str>, position: Option<&str>, lang: Option<&str>) -> TagLook {
        TagLook { color: color.map(Into::into), position: position.map(Into::into), lang: lang.map(Into::into) }
    }

    #[test]
    fn the_site_settings_without_attributes() {
        let look = Look::of(&site(), &TagLook::default(), ["es-ES", "en"]);
        assert_eq!((look.primary.as_str(), look.on_primary.as_str()), ("#0f766e", "#ffffff"));
        assert_eq!(look.position, Position::BottomRight);
        assert_eq!((look.lang.as_str(), look.dir.as_str(), look.open_chat.as_str()), ("de", "ltr", "Chat öffnen"));
        assert_eq!(look.unread, "ungelesen");
    }

    #[test]
    fn the_tag_comes_first_with_readable_text_on_its_colour() {
        let look = Look::of(&site(), &tag(Some(" #fde047 "), Some("left"), Some("ar-EG")), []);
        assert_eq!((look.primary.as_str(), look.on_primary.as_str()), ("#fde047", "#000000"));
        assert_eq!(look.position, Position::BottomLeft);
        assert_eq!((look.lang.as_str(), look.dir.as_str(), look.open_chat.as_str()), ("ar", "rtl", "فتح المحادثة"));
        let dark = Look::of(&site(), &tag(Some("#123"), Some("bottom-right"), None), []);
        assert_eq!((dark.on_primary.as_str(), dark.position), ("#ffffff", Position::BottomRight));
    }

    #[test]
    fn unreadable_attributes_are_passed_over() {
        let look = Look::of(&site(), &tag(Some("red;x"), Some("top"), Some("fr")), ["en"]);
        assert_eq!(look, Look::of(&site(), &TagLook::default(), ["en"]));
    }

    proptest::proptest! {
        /// Whatever a tag or a browser says, the look is one the loader can paint as it stands:
        /// colours it accepts, a language the widget speaks with its direction and words.
        #[test]
        fn any_attributes_give_a_paintable_look(
            color in proptest::option::of(".{0,12}|#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}"),
            position in proptest::option::of(".{0,12}|(bottom-)?(left|right)"),
            lang in proptest::option::of(".{0,8}|(en|de|es|ar)(-[A-Z]{2})?"),
            browser in proptest::collection::vec(".{0,8}", 0..4),
        ) {
            let tag = TagLook { color, position, lang };
            let look = Look::of(&site(), &tag, browser.iter().map(String::as_str));
            proptest::prop_assert!(is_hex_colour(&look.primary) && is_hex_colour(&look.on_primary), "{look:?}");
            let lang = i18n::Lang::from_tag(&look.lang);
            proptest::prop_assert!(lang.is_some_and(|l| l.tag() == look.lang && l.dir() == look.dir), "{look:?}");
            let forced = tag.color.as_deref().map(str::trim).filter(|c| is_hex_colour(c));
            proptest::prop_assert_eq!(look.primary, forced.unwrap_or("#0f766e"));
        }
    }

    #[test]
    fn the_browser_decides_when_the_site_language_is_not_spoken() {
        let config = WidgetConfig { language: "fr".into(), ..site() };
        assert_eq!(Look::of(&config, &TagLook::default(), ["fr-FR", "es"]).lang, "es");
        assert_eq!(Look::of(&config, &TagLook::default(), []).lang, "en");
    }
}
