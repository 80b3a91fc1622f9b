//! The simulator's token-signing keys: RSA 2048, RS256, published as a JWKS like Entra's.
//!
//! Keys are generated at start, so no private key is ever committed. Tokens are signed here
//! directly (the JWS compact form is three base64url parts); checking them uses the
//! `jsonwebtoken` crate with the public components, exactly as a relying party would.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, Validation};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One RSA signing key with its key id.
pub struct SigningKey {
    kid: String,
    pair: RsaKeyPair,
    modulus: String,
    exponent: String,
    decoding: DecodingKey,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot create a signing key: {0}")]
pub struct KeyError(String);

impl SigningKey {
    pub fn generate() -> Result<Self, KeyError> {
        let pair =
            RsaKeyPair::generate(KeySize::Rsa2048).map_err(|error| KeyError(error.to_string()))?;
        let public = pair.public_key();
        let modulus = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
        let exponent = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
        // Entra's key ids are opaque strings; a digest of the modulus is stable and unique.
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(modulus.as_bytes())[..20]);
        let decoding = DecodingKey::from_rsa_components(&modulus, &exponent)
            .map_err(|error| KeyError(error.to_string()))?;
        Ok(SigningKey {
            kid,
            pair,
            modulus,
            exponent,
            decoding,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A signed JWT (RS256) carrying `claims`.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"typ": "JWT", "alg": "RS256", "kid": self.kid, "x5t": self.kid});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0_u8; self.pair.public_modulus_len()];
        // Signing with a freshly generated key into a buffer of the modulus' size cannot fail;
        // if the library ever did, the token would simply not verify anywhere.
        let _ = self.pair.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            signing_input.as_bytes(),
            &mut signature,
        );
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The public key as a JWK, with any extra members (Bot Framework adds `endorsements`).
    pub fn jwk(&self, extra: &[(&str, Value)]) -> Value {
        let mut jwk = json!({
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": self.modulus,
            "e": self.exponent,
        });
        if let Some(fields) = jwk.as_object_mut() {
            for (name, value) in extra {
                fields.insert((*name).to_owned(), value.clone());
            }
        }
        jwk
    }

    /// Checks a token's signature and the claims `validation` asks for, returning its claims.
    pub fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<T, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<T>(token, &self.decoding, validation).map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_token_verifies_with_its_key_and_not_with_another() {
        let key = SigningKey::generate().expect("key");
        let other = SigningKey::generate().expect("key");
        let token = key.sign(&json!({"aud": "api", "exp": 4_102_444_800_u64, "sub": "x"}));
        let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&["api"]);
        let claims: Value = key.verify(&token, &validation).expect("verifies");
        assert_eq!(claims["sub"], "x");
        assert!(other.verify::<Value>(&token, &validation).is_err());
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.kid.as_deref(), Some(key.kid()));
    }
}
