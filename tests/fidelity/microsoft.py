"""Microsoft's own MSAL for Python against `doorman sim --tls`: an http authority refused by the
client itself, client credentials, authorization code with PKCE for each person the Graph
checks act as, and refresh-token rotation. Each operation is one row; the tokens go on to the
Graph SDK checks (graph.mjs)."""
import time
import urllib.parse
import warnings

import msal
import requests

from rows import Rows


def application(config, session):
    ms = config["microsoft"]
    authority = f"{ms['authority'].rstrip('/')}/{ms['tenant_id']}"
    return msal.ConfidentialClientApplication(
        ms["client_id"], client_credential=ms["client_secret"], authority=authority,
        http_client=session, instance_discovery=False, validate_authority=False)


def sign_in(app, session, redirect, upn, scopes):
    """Authorization code with PKCE as MSAL runs it; the simulated login page consents for the
    person named by login_hint and redirects back with the code."""
    flow = app.initiate_auth_code_flow(scopes, redirect_uri=redirect, login_hint=upn)
    if "code_challenge=" not in flow["auth_uri"]:
        raise AssertionError("MSAL sent no PKCE challenge")
    answer = session.get(flow["auth_uri"], allow_redirects=False, timeout=30)
    location = answer.headers.get("Location", "")
    if answer.status_code not in (302, 303) or not location.startswith(redirect):
        raise AssertionError(f"authorize answered {answer.status_code} to {location[:80]!r}")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(location).query))
    result = app.acquire_token_by_auth_code_flow(flow, query)
    if "access_token" not in result:
        raise AssertionError(f"no token: {result.get('error')}: {result.get('error_description', '')[:120]}")
    return result


def run(config, ca_file, rows: Rows):
    """Returns the tokens the Graph checks use: app-only, and delegated ones by purpose."""
    # MSAL recommends form_post; the query response mode is what Doorman itself uses.
    warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
    session = requests.Session()
    # The CA is passed here, not through REQUESTS_CA_BUNDLE, which would otherwise override it.
    session.trust_env = False
    session.verify = ca_file
    client = f"msal {msal.__version__}"
    ms = config["microsoft"]
    redirect = f"{config['server']['public_url'].rstrip('/')}/auth/callback"
    tokens = {}

    def plain_authority():
        try:
            msal.ConfidentialClientApplication(
                ms["client_id"], client_credential=ms["client_secret"],
                authority=ms["authority"].replace("https://", "http://", 1) + "/" + ms["tenant_id"],
                http_client=session, instance_discovery=False, validate_authority=False)
        except ValueError as refused:
            return f"refused by MSAL itself: {str(refused)[:60]}"
        raise AssertionError("MSAL accepted an http authority")
    rows.check(client, "refuses a plain-http authority (why --tls)", plain_authority)

    app = application(config, session)

    def client_credentials():
        result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
        if "access_token" not in result:
            raise AssertionError(str(result)[:160])
        tokens["app"] = result["access_token"]
        return f"{result.get('token_type')} token, {result.get('expires_in')} s"
    rows.check(client, "client credentials (app-only Graph token)", client_credentials)

    def bot_connector():
        result = app.acquire_token_for_client(scopes=["https://api.botframework.com/.default"])
        if "access_token" not in result:
            raise AssertionError(str(result)[:160])
        return "Bot Framework token"
    rows.check(client, "client credentials (Bot Connector token)", bot_connector)

    people = [
        ("owner_member_scope", "nina.patel@contoso.com", ["User.Read", "GroupMember.ReadWrite.All"]),
        ("owner_owner_scope", "nina.patel@contoso.com", ["User.Read", "Group.ReadWrite.All"]),
        ("not_owner", "jordan.lee@contoso.com", ["User.Read", "GroupMember.ReadWrite.All"]),
    ]
    for purpose, upn, scopes in people:
        def flow(upn=upn, scopes=scopes, purpose=purpose):
            # One application per person keeps each one's cache and account apart.
            own = application(config, session)
            result = sign_in(own, session, redirect, upn, scopes)
            claims = result.get("id_token_claims", {})
            if claims.get("preferred_username", "").lower() != upn:
                raise AssertionError(f"ID token names {claims.get('preferred_username')}")
            tokens[purpose] = result["access_token"]
            tokens[purpose + "_app"] = own
            return f"{upn}: {' '.join(scopes)}"
        rows.check(client, f"auth code + PKCE, ID token checked ({purpose.replace('_', ' ')})", flow)

    def rotation():
        own = tokens.get("owner_member_scope_app")
        if own is None:
            raise AssertionError("no signed-in account to refresh")
        account = own.get_accounts()[0]
        for _ in range(2):
            time.sleep(1)  # A new token must differ in its issue time.
            result = own.acquire_token_silent(["GroupMember.ReadWrite.All"], account, force_refresh=True)
            if not result or "access_token" not in result:
                raise AssertionError(f"refresh failed: {result}")
        return "two refreshes, each with the rotated refresh token"
    rows.check(client, "refresh tokens, single-use and rotated", rotation)
    return {key: value for key, value in tokens.items() if isinstance(value, str)}
