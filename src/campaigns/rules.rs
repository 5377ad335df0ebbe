//! The configured defaults campaigns use when they set none of their own
//! (`[campaigns]`), with what they need of `[contacts]`, `[sending]` and
//! `[pricing]`, resolved once at startup.

use rust_decimal::Decimal;

use super::spec::FrequencyCap;
use super::window::Window;
use crate::phone::Region;
use crate::sms::SplitOptions;

/// Campaign defaults, checked.
#[derive(Debug, Clone)]
pub struct CampaignRules {
    /// How listed numbers are read.
    pub region: Region,
    /// Zone of contacts with none (`contacts.default_time_zone`).
    pub default_time_zone: String,
    /// Window when a campaign gives none.
    pub window: Window,
    /// Frequency cap when a campaign gives none.
    pub cap: FrequencyCap,
    /// Days a reply is attributed to the campaign message before it.
    pub attribution_days: u32,
    /// Hours from start to the default deadline.
    pub deadline_hours: u32,
    /// How texts are encoded.
    pub split: SplitOptions,
    /// Price of one segment.
    pub per_segment: Decimal,
    /// Its currency.
    pub currency: String,
    /// How promo codes and tracked links are made (`[promo_codes]`, `public.base_url`).
    pub attribution: crate::attribution::Rules,
}

impl CampaignRules {
    /// From a checked configuration.
    pub fn from_config(checked: &crate::config::Checked, split: SplitOptions) -> Self {
        let c = &checked.config;
        CampaignRules {
            region: checked.region,
            default_time_zone: c.contacts.default_time_zone.clone(),
            window: c.campaigns.window().unwrap_or_default(),
            cap: FrequencyCap {
                per_24h: c.campaigns.cap_per_24h,
                per_7d: c.campaigns.cap_per_7d,
            },
            attribution_days: c.campaigns.attribution_days,
            deadline_hours: c.campaigns.deadline_hours,
            split,
            per_segment: c.pricing.per_segment,
            currency: c.pricing.currency.clone(),
            attribution: crate::attribution::Rules {
                codes: c.promo_codes.format().unwrap_or_default(),
                base_url: c
                    .public
                    .base_url
                    .as_ref()
                    .map(|u| u.trim_end_matches('/').to_string()),
            },
        }
    }

    /// The built-in defaults, numbers read in `region`.
    pub fn defaults(region: Region) -> Self {
        let d = crate::config::CampaignsConfig::default();
        CampaignRules {
            region,
            default_time_zone: crate::config::ContactsConfig::default().default_time_zone,
            window: d.window().unwrap_or_default(),
            cap: FrequencyCap {
                per_24h: d.cap_per_24h,
                per_7d: d.cap_per_7d,
            },
            attribution_days: d.attribution_days,
            deadline_hours: d.deadline_hours,
            split: SplitOptions::default(),
            per_segment: Decimal::ZERO,
            currency: "USD".into(),
            attribution: crate::attribution::Rules::default(),
        }
    }
}
