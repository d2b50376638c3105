// A real OpenID Connect provider (panva's oidc-provider) for tests/infra/test_oidc.py: its development
// interactions sign in whoever is named at its login form, as a council's identity provider would
// sign in its staff. PORT, CLIENT_ID, CLIENT_SECRET and REDIRECT_URI come from the test.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
  }],
  async findAccount(ctx, id) {
    // The login name is the staff id; a name with "@" has none (a guest account of the tenant).
    const staff = id.includes('@') ? {} : { preferred_username: id };
    return { accountId: id, async claims() { return { sub: id, ...staff }; } };
  },
  claims: { openid: ['sub'], profile: ['preferred_username'] },
  features: { devInteractions: { enabled: true } },
});
provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
