//! The widget's own UI strings in each language it speaks (English, German, Spanish, Arabic),
//! and which language a page gets: the script tag's `data-lang`, then the site's configured
//! language, then the browser's. Here, not in the widget, because the edge names the launcher
//! the loader draws before the widget starts (`look`) with the same choice and words.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Es,
    Ar,
}

impl Lang {
    /// The language a BCP 47 tag asks for, if the widget speaks it (`de-AT` → German).
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "de" => Some(Self::De),
            "es" => Some(Self::Es),
            "ar" => Some(Self::Ar),
            _ => None,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Es => "es",
            Self::Ar => "ar",
        }
    }

    /// Arabic is written right to left.
    pub fn dir(self) -> &'static str {
        if self == Self::Ar {
            "rtl"
        } else {
            "ltr"
        }
    }

    /// The launcher's name, and the word after the count of unread replies in it. Apart from
    /// `strings`, because the edge names the launcher the loader draws (`look`) and needs
    /// these two words of each language, not the rest.
    pub fn launcher_words(self) -> (&'static str, &'static str) {
        match self {
            Self::En => ("Open chat", "unread"),
            Self::De => ("Chat öffnen", "ungelesen"),
            Self::Es => ("Abrir chat", "sin leer"),
            Self::Ar => ("فتح المحادثة", "غير مقروءة"),
        }
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Self::En => &EN,
            Self::De => &DE,
            Self::Es => &ES,
            Self::Ar => &AR,
        }
    }
}

/// The first of the candidates, most specific first, that the widget speaks; English otherwise.
/// A candidate it cannot speak is skipped, so `data-lang="fr"` on a German site gives German.
pub fn choose<'a>(
    attribute: Option<&'a str>,
    configured: Option<&'a str>,
    browser: impl IntoIterator<Item = &'a str>,
) -> Lang {
    attribute.into_iter().chain(configured).chain(browser).find_map(Lang::from_tag).unwrap_or(Lang::En)
}

pub struct Strings {
    pub close_chat: &'static str,
    pub new_conversation: &'static str,
    pub conversation: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub stop: &'static str,
    pub typing: &'static str,
    pub retry: &'static str,
    pub failed: &'static str,
    pub interrupted: &'static str,
    pub stopped: &'static str,
    pub unavailable: &'static str,
    pub rate_limited: &'static str,
    pub try_later: &'static str,
    pub too_long: &'static str,
    pub offline: &'static str,
    pub helpful: &'static str,
    pub not_helpful: &'static str,
    /// Heads the links to where a reply's answer comes from.
    pub sources: &'static str,
    pub leave_email: &'static str,
    pub lead_intro: &'static str,
    pub email: &'static str,
    pub name: &'static str,
    pub submit: &'static str,
    pub cancel: &'static str,
    pub lead_thanks: &'static str,
    pub lead_invalid: &'static str,
    pub you: &'static str,
    pub assistant: &'static str,
}

static EN: Strings = Strings {
    close_chat: "Close chat",
    new_conversation: "New conversation",
    conversation: "Conversation",
    placeholder: "Type your message…",
    send: "Send",
    stop: "Stop",
    typing: "Typing…",
    retry: "Retry",
    failed: "The reply could not be completed.",
    interrupted: "The reply was interrupted.",
    stopped: "Stopped.",
    unavailable: "Chat is unavailable right now. Please try again later.",
    rate_limited: "You are sending messages too quickly. Please wait a moment.",
    try_later: "That did not go through. Please try again later.",
    too_long: "This message is too long. Please shorten it.",
    offline: "Could not reach the chat. Check your connection.",
    helpful: "Helpful",
    not_helpful: "Not helpful",
    sources: "Sources",
    leave_email: "Leave your email",
    lead_intro: "Leave your email and we will get back to you.",
    email: "Email",
    name: "Name (optional)",
    submit: "Send",
    cancel: "Cancel",
    lead_thanks: "Thanks! We will be in touch.",
    lead_invalid: "Please enter a valid email address.",
    you: "You",
    assistant: "Assistant",
};

static DE: Strings = Strings {
    close_chat: "Chat schließen",
    new_conversation: "Neues Gespräch",
    conversation: "Gespräch",
    placeholder: "Nachricht eingeben…",
    send: "Senden",
    stop: "Stopp",
    typing: "Schreibt…",
    retry: "Erneut versuchen",
    failed: "Die Antwort konnte nicht abgeschlossen werden.",
    interrupted: "Die Antwort wurde unterbrochen.",
    stopped: "Angehalten.",
    unavailable: "Der Chat ist gerade nicht verfügbar. Bitte versuchen Sie es später erneut.",
    rate_limited: "Sie senden zu schnell. Bitte warten Sie einen Moment.",
    try_later: "Das hat nicht geklappt. Bitte versuchen Sie es später erneut.",
    too_long: "Diese Nachricht ist zu lang. Bitte kürzen Sie sie.",
    offline: "Der Chat ist nicht erreichbar. Bitte prüfen Sie Ihre Verbindung.",
    helpful: "Hilfreich",
    not_helpful: "Nicht hilfreich",
    sources: "Quellen",
    leave_email: "E-Mail hinterlassen",
    lead_intro: "Hinterlassen Sie Ihre E-Mail-Adresse, wir melden uns bei Ihnen.",
    email: "E-Mail",
    name: "Name (optional)",
    submit: "Senden",
    cancel: "Abbrechen",
    lead_thanks: "Danke! Wir melden uns.",
    lead_invalid: "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
    you: "Sie",
    assistant: "Assistent",
};

static ES: Strings = Strings {
    close_chat: "Cerrar chat",
    new_conversation: "Nueva conversación",
    conversation: "Conversación",
    placeholder: "Escribe tu mensaje…",
    send: "Enviar",
    stop: "Detener",
    typing: "Escribiendo…",
    retry: "Reintentar",
    failed: "No se pudo completar la respuesta.",
    interrupted: "La respuesta se interrumpió.",
    stopped: "Detenido.",
    unavailable: "El chat no está disponible ahora. Inténtalo más tarde.",
    rate_limited: "Estás enviando mensajes demasiado rápido. Espera un momento.",
    try_later: "No se pudo enviar. Inténtalo más tarde.",
    too_long: "Este mensaje es demasiado largo. Acórtalo, por favor.",
    offline: "No se pudo conectar con el chat. Revisa tu conexión.",
    helpful: "Útil",
    not_helpful: "No es útil",
    sources: "Fuentes",
    leave_email: "Deja tu correo",
    lead_intro: "Deja tu correo y te responderemos.",
    email: "Correo electrónico",
    name: "Nombre (opcional)",
    submit: "Enviar",
    cancel: "Cancelar",
    lead_thanks: "¡Gracias! Te contactaremos.",
    lead_invalid: "Introduce un correo electrónico válido.",
    you: "Tú",
    assistant: "Asistente",
};

static AR: Strings = Strings {
    close_chat: "إغلاق المحادثة",
    new_conversation: "محادثة جديدة",
    conversation: "المحادثة",
    placeholder: "اكتب رسالتك…",
    send: "إرسال",
    stop: "إيقاف",
    typing: "يكتب…",
    retry: "إعادة المحاولة",
    failed: "تعذر إكمال الرد.",
    interrupted: "انقطع الرد.",
    stopped: "تم الإيقاف.",
    unavailable: "المحادثة غير متاحة الآن. يرجى المحاولة لاحقا.",
    rate_limited: "أنت ترسل الرسائل بسرعة كبيرة. يرجى الانتظار قليلا.",
    try_later: "لم يتم ذلك. يرجى المحاولة لاحقا.",
    too_long: "هذه الرسالة طويلة جدا. يرجى اختصارها.",
    offline: "تعذر الوصول إلى المحادثة. تحقق من اتصالك.",
    helpful: "مفيد",
    not_helpful: "غير مفيد",
    sources: "المصادر",
    leave_email: "اترك بريدك الإلكتروني",
    lead_intro: "اترك بريدك الإلكتروني وسنتواصل معك.",
    email: "البريد الإلكتروني",
    name: "الاسم (اختياري)",
    submit: "إرسال",
    cancel: "إلغاء",
    lead_thanks: "شكرا! سنتواصل معك.",
    lead_invalid: "يرجى إدخال بريد إلكتروني صالح.",
    you: "أنت",
    assistant: "المساعد",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_wins_over_config_and_browser() {
        assert_eq!(choose(Some("es"), Some("de"), ["en-US"]), Lang::Es);
    }

    #[test]
    fn config_wins_over_browser() {
        assert_eq!(choose(None, Some("de"), ["es-ES", "en"]), Lang::De);
    }

    #[test]
    fn browser_languages_in_order_of_preference() {
        assert_eq!(choose(None, None, ["fr-FR", "es-MX", "de"]), Lang::Es);
    }

    #[test]
    fn unknown_languages_are_skipped_and_english_is_the_fallback() {
        assert_eq!(choose(Some("fr"), Some("de-AT"), []), Lang::De);
        assert_eq!(choose(Some("xx"), None, ["ja-JP"]), Lang::En);
        assert_eq!(choose(Some(""), Some("  "), []), Lang::En);
    }

    #[test]
    fn region_and_case_do_not_matter() {
        assert_eq!(Lang::from_tag("DE_ch"), Some(Lang::De));
        assert_eq!(Lang::from_tag("es-419"), Some(Lang::Es));
    }

    #[test]
    fn every_language_translates_every_string() {
        for lang in [Lang::De, Lang::Es, Lang::Ar] {
            let (s, en) = (lang.strings(), Lang::En.strings());
            assert_ne!(lang.launcher_words().0, Lang::En.launcher_words().0);
            assert_ne!(lang.launcher_words().1, Lang::En.launcher_words().1);
            assert_ne!(s.placeholder, en.placeholder);
            assert_ne!(s.unavailable, en.unavailable);
            assert_ne!(s.lead_intro, en.lead_intro);
        }
    }
}
