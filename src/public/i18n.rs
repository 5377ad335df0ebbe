//! The subscribe form's languages (English, Russian, Spanish): which one a
//! visitor gets (`?lang=`, else the browser's `Accept-Language` by its
//! q-values, else English) and every text the form shows.

/// A language the form speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Russian.
    Ru,
    /// Spanish.
    Es,
}

impl Lang {
    /// All of them, in the order the switcher lists them.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ru, Lang::Es];

    /// The BCP 47 primary subtag (`en`, `ru`, `es`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
            Lang::Es => "es",
        }
    }

    /// The language named by a tag's primary subtag (`ru-RU` → Russian).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ru" => Some(Lang::Ru),
            "es" => Some(Lang::Es),
            _ => None,
        }
    }

    /// The best of ours for an `Accept-Language` header (RFC 9110 §12.5.4):
    /// the highest q-value among the tags we speak (the first one listed
    /// on a tie); `None` when none is ours.
    pub fn negotiate(header: &str) -> Option<Lang> {
        let mut best: Option<(Lang, u32)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
                .map_or(1000, |q| {
                    (q.trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 1.0) * 1000.0) as u32
                });
            if q > 0 && best.is_none_or(|(_, bq)| q > bq) {
                best = Some((lang, q));
            }
        }
        best.map(|(l, _)| l)
    }

    /// Its name in itself, for the switcher.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ru => "Русский",
            Lang::Es => "Español",
        }
    }

    /// The built-in consent text (`{brand}` stands for `public.brand`).
    pub fn default_consent(self) -> &'static str {
        match self {
            Lang::En => {
                "I agree to receive news and offers from {brand} by SMS at this number. We will text you once to confirm; reply STOP at any time to stop."
            }
            Lang::Ru => {
                "Я согласен(на) получать новости и предложения от {brand} по SMS на этот номер. Мы пришлём одно SMS для подтверждения; ответьте СТОП в любой момент, чтобы отказаться."
            }
            Lang::Es => {
                "Acepto recibir noticias y ofertas de {brand} por SMS en este número. Le enviaremos un SMS para confirmar; responda BAJA en cualquier momento para no recibir más."
            }
        }
    }

    /// The texts of the form and its answers.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Ru => &RU,
            Lang::Es => &ES,
        }
    }
}

/// Every text of the form, in one language. `{brand}`, `{phone}`,
/// `{keyword}` and `{minutes}` are filled in where they appear.
#[derive(Debug)]
pub struct Texts {
    /// Page title and heading.
    pub title: &'static str,
    /// Label of the number field.
    pub phone: &'static str,
    /// Hint under it.
    pub phone_hint: &'static str,
    /// Label of the name field.
    pub name: &'static str,
    /// "(optional)".
    pub optional: &'static str,
    /// Label of the consent checkbox.
    pub agree: &'static str,
    /// The submit button.
    pub submit: &'static str,
    /// Label of the honeypot (hidden from people).
    pub honeypot: &'static str,
    /// Heading of an answer that went well.
    pub done: &'static str,
    /// Heading of a refusal.
    pub problem: &'static str,
    /// The one answer to every submission taken, whatever the number's
    /// state (subscribed, pending, opted out, new): the form tells an
    /// anonymous visitor nothing about a number.
    pub received: &'static str,
    /// How someone who once opted out comes back (`{keyword}`), shown to
    /// everyone.
    pub come_back: &'static str,
    /// Not a phone number.
    pub invalid_phone: &'static str,
    /// A valid number the form does not text (not mobile, or outside
    /// `public.allowed_regions`, listed as `{regions}`).
    pub not_mobile: &'static str,
    /// A name we cannot keep.
    pub invalid_name: &'static str,
    /// The box was not ticked.
    pub no_consent: &'static str,
    /// CSRF refused.
    pub expired: &'static str,
    /// Too many tries from here.
    pub rate_limited: &'static str,
    /// Too many tries for this number.
    pub number_limited: &'static str,
    /// Our fault.
    pub error: &'static str,
    /// Back to the form.
    pub back: &'static str,
}

static EN: Texts = Texts {
    title: "Get SMS from {brand}",
    phone: "Mobile number",
    phone_hint: "With the country code, e.g. +44 7700 900123",
    name: "Name",
    optional: "(optional)",
    agree: "I agree",
    submit: "Subscribe",
    honeypot: "Leave this field empty",
    done: "Almost done",
    problem: "Not sent",
    received: "Thank you! If this number can receive our messages, we have sent it an SMS to confirm. Reply YES to it to confirm your subscription.",
    come_back: "If you once asked us to stop our messages, text {keyword} to the number they come from to subscribe again.",
    invalid_phone: "This does not look like a mobile number. Please check it, with the country code.",
    not_mobile: "We can only send to mobile numbers in {regions}. Please enter a mobile number.",
    invalid_name: "Please shorten the name (at most 200 characters, no special characters).",
    no_consent: "Please tick the box to agree to receive our messages.",
    expired: "This form has expired or did not come from our page. Please reload the page and try again.",
    rate_limited: "Too many attempts. Please try again in {minutes} min.",
    number_limited: "This number has been submitted too often today. Please try again tomorrow.",
    error: "Something went wrong on our side. Please try again later.",
    back: "Back to the form",
};

static RU: Texts = Texts {
    title: "SMS-рассылка {brand}",
    phone: "Номер мобильного",
    phone_hint: "Например, 8 916 123-45-67 или +7 916 123-45-67",
    name: "Имя",
    optional: "(необязательно)",
    agree: "Я согласен(на)",
    submit: "Подписаться",
    honeypot: "Оставьте это поле пустым",
    done: "Почти готово",
    problem: "Не отправлено",
    received: "Спасибо! Если на этот номер можно отправлять наши сообщения, мы прислали на него SMS для подтверждения. Ответьте на него ДА, чтобы подтвердить подписку.",
    come_back: "Если вы когда-то отказались от наших сообщений, отправьте {keyword} на номер, с которого они приходят, чтобы подписаться снова.",
    invalid_phone: "Это не похоже на номер мобильного. Проверьте его, пожалуйста.",
    not_mobile: "Мы можем отправлять SMS только на мобильные номера ({regions}). Введите номер мобильного.",
    invalid_name: "Сократите, пожалуйста, имя (не больше 200 символов, без служебных символов).",
    no_consent: "Отметьте, пожалуйста, согласие на получение сообщений.",
    expired: "Форма устарела или открыта не с нашей страницы. Обновите страницу и попробуйте ещё раз.",
    rate_limited: "Слишком много попыток. Попробуйте снова через {minutes} мин.",
    number_limited: "Этот номер сегодня вводили слишком часто. Попробуйте завтра.",
    error: "У нас что-то пошло не так. Попробуйте, пожалуйста, позже.",
    back: "Вернуться к форме",
};

static ES: Texts = Texts {
    title: "SMS de {brand}",
    phone: "Número de móvil",
    phone_hint: "Con el prefijo del país, p. ej. +34 612 34 56 78",
    name: "Nombre",
    optional: "(opcional)",
    agree: "Acepto",
    submit: "Suscribirme",
    honeypot: "Deje este campo vacío",
    done: "Casi listo",
    problem: "No enviado",
    received: "¡Gracias! Si este número puede recibir nuestros mensajes, le hemos enviado un SMS de confirmación. Responda SI para confirmar su suscripción.",
    come_back: "Si alguna vez pidió no recibir nuestros mensajes, envíe {keyword} al número desde el que llegan para suscribirse de nuevo.",
    invalid_phone: "Esto no parece un número de móvil. Revíselo, con el prefijo del país.",
    not_mobile: "Solo podemos enviar a números de móvil de {regions}. Escriba un número de móvil.",
    invalid_name: "Acorte el nombre, por favor (200 caracteres como máximo, sin caracteres especiales).",
    no_consent: "Marque la casilla para aceptar recibir nuestros mensajes.",
    expired: "El formulario ha caducado o no viene de nuestra página. Recargue la página e inténtelo de nuevo.",
    rate_limited: "Demasiados intentos. Inténtelo de nuevo en {minutes} min.",
    number_limited: "Este número se ha enviado demasiadas veces hoy. Inténtelo mañana.",
    error: "Algo ha fallado por nuestra parte. Inténtelo más tarde.",
    back: "Volver al formulario",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_we_speak() {
        assert_eq!(
            Lang::negotiate("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"),
            Some(Lang::Ru)
        );
        assert_eq!(
            Lang::negotiate("de-DE,de;q=0.9,es;q=0.5,en;q=0.4"),
            Some(Lang::Es)
        );
        assert_eq!(Lang::negotiate("en;q=0.2, es-MX"), Some(Lang::Es));
        assert_eq!(Lang::negotiate("de, fr"), None);
        assert_eq!(Lang::negotiate("ru;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(Lang::negotiate(""), None);
        assert_eq!(Lang::negotiate("es;q=abc"), None);
    }
}
