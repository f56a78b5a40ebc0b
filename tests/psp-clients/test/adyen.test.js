'use strict';
// The official `@adyen/api-library` against the standalone simulator. The library's Checkout URLs are fixed to
// Adyen's hosts (https://checkout-test.adyen.com/v72, or the live prefix URL), so it reaches the simulator through its
// documented proxy setting: the simulator's CONNECT proxy tunnels those hosts to its HTTPS endpoint, whose certificate
// names them and is trusted through NODE_EXTRA_CA_CERTS. Nothing else about the client is changed.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { before, after, describe, it } = require('node:test');
const { Client, CheckoutAPI, EnvironmentEnum, HttpURLConnectionClient, HttpClientException, hmacValidator } = require('@adyen/api-library');
const { sim, control, startReceiver } = require('../lib/simulator');

// Required properties from Adyen's OpenAPI documents (Adyen/adyen-openapi json/CheckoutService-v72.json and
// json/Webhooks-v1.json), for the responses and notification items the simulator produces.
const required = {
  PaymentCaptureResponse: ['amount', 'merchantAccount', 'paymentPspReference', 'pspReference', 'status'],
  PaymentRefundResponse: ['amount', 'merchantAccount', 'paymentPspReference', 'pspReference', 'status'],
  PaymentCancelResponse: ['merchantAccount', 'paymentPspReference', 'pspReference', 'status'],
  Amount: ['currency', 'value'],
  NotificationRequestItem: ['pspReference', 'merchantReference', 'merchantAccountCode', 'eventDate', 'eventCode', 'amount', 'success'],
};

function assertRequired(object, type, where) {
  const missing = required[type].filter((field) => object[field] === undefined);
  assert.deepEqual(missing, [], `${where}: ${type} lacks fields Adyen's spec requires`);
}

function checkout(environment = EnvironmentEnum.TEST, liveEndpointUrlPrefix = undefined) {
  const client = new Client({ apiKey: sim.adyenKey, environment, liveEndpointUrlPrefix });
  const httpClient = new HttpURLConnectionClient();
  httpClient.proxy = { host: sim.http.hostname, port: sim.proxyPort };
  client.httpClient = httpClient;
  return new CheckoutAPI(client);
}

function payment(token, reference = `order-${randomUUID()}`, extra = {}) {
  return {
    amount: { currency: 'EUR', value: 2_000 },
    reference,
    merchantAccount: sim.merchantAccount,
    paymentMethod: { type: 'scheme', storedPaymentMethodId: token },
    returnUrl: 'https://merchant.example/return',
    ...extra,
  };
}

describe('@adyen/api-library', () => {
  const api = checkout();
  let receiver;

  before(async () => {
    receiver = await startReceiver('[accepted]');
    await control('POST', '/sim/config', { adyen: { endpoints: [{ url: receiver.url, secret: sim.adyenHmacKey }] } });
  });

  after(async () => {
    await control('POST', '/sim/config', { adyen: { endpoints: [] } });
    await receiver.close();
  });

  it('authorises, captures, refunds and cancels through the Checkout API the library calls', async () => {
    const authorised = await api.PaymentsApi.payments(payment('pm_card_visa', undefined, { additionalData: { manualCapture: 'true' } }), { idempotencyKey: randomUUID() });
    assert.equal(authorised.resultCode, 'Authorised');
    assert.match(authorised.pspReference, /^[A-Z0-9]{16}$/);
    assertRequired(authorised.amount, 'Amount', 'payment amount');

    const amount = { currency: 'EUR', value: 2_000 };
    const capture = await api.ModificationsApi.captureAuthorisedPayment(authorised.pspReference, { merchantAccount: sim.merchantAccount, amount, reference: 'capture-1' });
    assert.equal(capture.status, 'received');
    assert.equal(capture.paymentPspReference, authorised.pspReference);
    assertRequired(capture, 'PaymentCaptureResponse', 'capture');

    const refund = await api.ModificationsApi.refundCapturedPayment(authorised.pspReference, { merchantAccount: sim.merchantAccount, amount: { currency: 'EUR', value: 500 } });
    assert.equal(refund.status, 'received');
    assertRequired(refund, 'PaymentRefundResponse', 'refund');

    const other = await api.PaymentsApi.payments(payment('pm_card_visa', undefined, { additionalData: { manualCapture: 'true' } }));
    const cancel = await api.ModificationsApi.cancelAuthorisedPaymentByPspReference(other.pspReference, { merchantAccount: sim.merchantAccount });
    assert.equal(cancel.status, 'received');
    assertRequired(cancel, 'PaymentCancelResponse', 'cancel');
  });

  it('takes yen and dinars in Adyen\'s minor units, fils included', async () => {
    for (const amount of [{ currency: 'JPY', value: 1_999 }, { currency: 'KWD', value: 1_005 }]) {
      const authorised = await api.PaymentsApi.payments(payment('pm_card_visa', undefined, { amount, additionalData: { manualCapture: 'true' } }));
      assert.equal(authorised.resultCode, 'Authorised');
      assert.deepEqual({ ...authorised.amount }, amount);
      const capture = await api.ModificationsApi.captureAuthorisedPayment(authorised.pspReference, { merchantAccount: sim.merchantAccount, amount });
      assert.equal(capture.status, 'received');
      assert.deepEqual({ ...capture.amount }, amount);
    }
  });

  it('reaches the live URL shape too (live prefix, /checkout/v72)', async () => {
    const live = checkout(EnvironmentEnum.LIVE, 'obol');
    const result = await live.PaymentsApi.payments(payment('pm_card_mastercard'));
    assert.equal(result.resultCode, 'Authorised');
  });

  it('refuses declines in the payment result and bad requests as Adyen service errors', async () => {
    const refused = await api.PaymentsApi.payments(payment('pm_card_insufficient_funds'));
    assert.equal(refused.resultCode, 'Refused');
    assert.equal(refused.refusalReason, 'Not enough balance');
    assert.equal(refused.refusalReasonCode, '5');

    await assert.rejects(api.PaymentsApi.payments({ ...payment('pm_card_visa'), amount: undefined }), (error) => {
      assert.ok(error instanceof HttpClientException, String(error));
      assert.equal(error.statusCode, 422);
      assert.equal(error.errorCode, '100');
      assert.equal(error.apiError.errorType, 'validation');
      assert.equal(typeof error.apiError.message, 'string');
      return true;
    });

    const key = randomUUID();
    await api.PaymentsApi.payments(payment('pm_card_visa', 'same-key'), { idempotencyKey: key });
    await assert.rejects(api.PaymentsApi.payments(payment('pm_card_visa', 'other-body'), { idempotencyKey: key }), (error) => {
      assert.equal(error.errorCode, '704');
      return true;
    });
  });

  it('signs notifications the library validates, references holding : and \\ included', async () => {
    const reference = `order:${randomUUID()}\\x`;
    const authorised = await api.PaymentsApi.payments(payment('pm_card_visa', reference, { additionalData: { manualCapture: 'true' } }));
    await api.ModificationsApi.captureAuthorisedPayment(authorised.pspReference, { merchantAccount: sim.merchantAccount, amount: { currency: 'EUR', value: 2_000 }, reference: 'capture:1\\a' });

    const validator = new hmacValidator();
    for (const [eventCode, merchantReference] of [['AUTHORISATION', reference], ['CAPTURE', 'capture:1\\a']]) {
      const delivery = await receiver.waitFor((r) => r.body.includes(`"eventCode":"${eventCode}"`) && r.body.includes(authorised.pspReference), eventCode);
      const notification = JSON.parse(delivery.body);
      assert.equal(notification.live, 'false');
      const item = notification.notificationItems[0].NotificationRequestItem;
      assert.equal(item.merchantReference, merchantReference);
      assertRequired(item, 'NotificationRequestItem', eventCode);
      assert.equal(validator.validateHMAC(item, sim.adyenHmacKey), true, `${eventCode} hmacSignature`);
    }
  });

  it('agrees with the committed notification fixture that Obol\'s tests verify', () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'adyen-notification-signed.json'), 'utf8'));
    const validator = new hmacValidator();
    const items = fixture.notification.notificationItems.map((i) => i.NotificationRequestItem);
    items.forEach((item, i) => {
      const { additionalData, ...signed } = item;
      assert.equal(validator.getDataToSign(signed), fixture.signingStrings[i]);
      assert.equal(validator.calculateHmac(signed, fixture.hmacKey), additionalData.hmacSignature);
      assert.equal(validator.validateHMAC(item, fixture.hmacKey), true);
    });
  });
});
