import { randomBytes } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { splitSecrets, webhookSecretProblem, WebhookSigner } from './webhook-signer';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const body = JSON.stringify({ type: 'job.succeeded', timestamp: '2026-12-02T10:00:00.000Z', data: { id: 'j1', state: 'succeeded' } });

describe('WebhookSigner', () => {
  it('signs so that the standardwebhooks library verifies the delivery and gives back the payload', () => {
    const s = secret();
    const headers = new WebhookSigner([s]).headers('msg_j1', new Date(), body);
    expect(headers['webhook-id']).toBe('msg_j1');
    expect(headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(s).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('gives a signature the library rejects for a tampered body, id or timestamp, and for another secret', () => {
    const s = secret();
    const headers = { ...new WebhookSigner([s]).headers('msg_j1', new Date(), body) };
    const hook = new Webhook(s);
    expect(() => hook.verify(body.replace('succeeded', 'failed'), headers)).toThrow(WebhookVerificationError);
    expect(() => hook.verify(`${body} `, headers)).toThrow(WebhookVerificationError);
    expect(() => hook.verify(body, { ...headers, 'webhook-id': 'msg_j2' })).toThrow(WebhookVerificationError);
    expect(() => hook.verify(body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) })).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secret()).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it('lists one signature per secret in a rotation, so a receiver holding either one verifies', () => {
    const [newer, older, other] = [secret(), secret(), secret()];
    const headers = { ...new WebhookSigner([newer, older]).headers('msg_j1', new Date(), body) };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(headers['webhook-signature'].split(' ')[0]).toBe(new Webhook(newer).sign('msg_j1', new Date(Number(headers['webhook-timestamp']) * 1000), body));
    expect(new Webhook(newer).verify(body, headers)).toBeTruthy();
    expect(new Webhook(older).verify(body, headers)).toBeTruthy();
    expect(() => new Webhook(other).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it('never shows its secrets when serialised', () => {
    const s = secret();
    const signer = new WebhookSigner([s]);
    expect(JSON.stringify({ signer })).not.toContain(s.slice(6));
    expect(Object.keys(signer)).toEqual([]);
  });
});

describe('webhook secrets', () => {
  it('takes whsec_ and base64 of 24 to 64 bytes, and says what is wrong without repeating the secret', () => {
    expect(webhookSecretProblem(secret())).toBeUndefined();
    expect(webhookSecretProblem(`whsec_${randomBytes(24).toString('base64')}`)).toBeUndefined();
    expect(webhookSecretProblem(randomBytes(32).toString('base64'))).toMatch(/whsec_/);
    expect(webhookSecretProblem('whsec_not base64!')).toMatch(/base64/);
    expect(webhookSecretProblem(`whsec_${randomBytes(8).toString('base64')}`)).toMatch(/24 to 64 bytes .*holds 8/);
    const long = `whsec_${randomBytes(80).toString('base64')}`;
    expect(webhookSecretProblem(long)).not.toContain(long.slice(6, 20));
  });

  it('splits a comma-separated rotation, trimming and dropping empties', () => {
    expect(splitSecrets(' whsec_a , whsec_b,,')).toEqual(['whsec_a', 'whsec_b']);
    expect(splitSecrets(undefined)).toEqual([]);
  });
});
