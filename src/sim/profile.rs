//! Who each simulated modem pretends to be: a vendor, an IMEI, a SIM with
//! its IMSI/ICCID, an operator. Numbers are valid (Luhn check digits) and
//! distinct per modem index, and the vendors rotate so that the driver's
//! quirks are exercised.

use serde::Serialize;

/// The identity of one simulated modem and its SIM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimProfile {
    /// `AT+CGMI`.
    pub manufacturer: String,
    /// `AT+CGMM`.
    pub model: String,
    /// `AT+CGMR`.
    pub revision: String,
    /// `AT+CGSN`.
    pub imei: String,
    /// `AT+CIMI`.
    pub imsi: String,
    /// SIM serial.
    pub iccid: String,
    /// Operator name.
    pub operator: String,
    /// MCC+MNC.
    pub mcc_mnc: String,
    /// Service centre.
    pub smsc: String,
    /// The SIM's own number (shown as recipient of injected messages).
    pub msisdn: String,
    /// SIM message capacity.
    pub capacity: usize,
}

const VENDORS: &[(&str, &str, &str)] = &[
    ("huawei", "E3372", "22.315.01.00.00"),
    ("ZTE CORPORATION", "MF190", "BD_MF190V1.0.0B06"),
    (
        "SIMCOM INCORPORATED",
        "SIM800 R14.18",
        "Revision:1418B04SIM800L24",
    ),
    ("Quectel", "EC25", "EC25EFAR06A03M4G"),
];

const OPERATORS: &[(&str, &str, &str, &str)] = &[
    ("MTS RUS", "25001", "+79168999100", "7916"),
    ("MegaFon", "25002", "+79262909090", "7926"),
    ("Beeline", "25099", "+79037011111", "7903"),
    ("Tele2", "25020", "+79043490000", "7904"),
];

/// Appends the Luhn check digit.
pub fn with_luhn(digits: &str) -> String {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

impl SimProfile {
    /// The profile of simulated modem number `index`.
    pub fn for_index(index: usize) -> Self {
        let (manufacturer, model, revision) = VENDORS[index % VENDORS.len()];
        let (operator, mcc_mnc, smsc, prefix) = OPERATORS[index % OPERATORS.len()];
        let n = index as u64;
        Self {
            manufacturer: manufacturer.into(),
            model: model.into(),
            revision: revision.into(),
            imei: with_luhn(&format!("86722302{:06}", 100_000 + n)),
            imsi: format!("{mcc_mnc}{:010}", 1_000_000 + n),
            iccid: with_luhn(&format!("8970{}{:012}", &mcc_mnc[3..], 100_000 + n)),
            operator: operator.into(),
            mcc_mnc: mcc_mnc.into(),
            smsc: smsc.into(),
            msisdn: format!("+{prefix}{:07}", 1_000_000 + n),
            capacity: 30,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert_eq!(with_luhn("7992739871"), "79927398713");
        assert_eq!(with_luhn("49015420323751"), "490154203237518");
    }

    #[test]
    fn profiles_are_distinct_and_well_formed() {
        let a = SimProfile::for_index(0);
        let b = SimProfile::for_index(5);
        assert_ne!(a.imei, b.imei);
        assert_ne!(a.imsi, b.imsi);
        assert_ne!(a.iccid, b.iccid);
        assert_eq!(a.imei.len(), 15);
        assert_eq!(a.imsi.len(), 15);
        assert!(a.iccid.starts_with("89") && a.iccid.len() == 19);
        assert_ne!(SimProfile::for_index(1).manufacturer, a.manufacturer);
    }
}
