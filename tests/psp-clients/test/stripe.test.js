'use strict';
// The official `stripe` library against the standalone simulator, configured as a merchant would point it at
// another Stripe: host, port and protocol, the simulator's certificate trusted through NODE_EXTRA_CA_CERTS.
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { before, after, describe, it } = require('node:test');
const Stripe = require('stripe');
const { sim, control, startReceiver, assertRequired, assertNoNulls } = require('../lib/simulator');

const stripe = new Stripe(sim.stripeKey, {
  host: sim.https.hostname,
  port: sim.https.port,
  protocol: 'https',
  maxNetworkRetries: 0,
  telemetry: false,
});

/** The error body as the API sent it: the library adds headers, statusCode and requestId to it. */
function errorBody(error) {
  const { headers, statusCode, requestId, ...body } = error.raw;
  return body;
}

function pay(paymentMethod, extra = {}) {
  return stripe.paymentIntents.create({
    amount: 2_000,
    currency: 'eur',
    payment_method: paymentMethod,
    confirm: true,
    metadata: { reference: `order-${randomUUID()}` },
    ...extra,
  });
}

describe('stripe library', () => {
  let receiver;

  before(async () => {
    receiver = await startReceiver('');
    await control('POST', '/sim/config', { stripe: { endpoints: [{ url: receiver.url, secret: sim.stripeWebhookSecret }] } });
  });

  after(async () => {
    await control('POST', '/sim/config', { stripe: { endpoints: [] } });
    await receiver.close();
  });

  it('creates, captures, refunds and finds payment intents, each object complete', async () => {
    const reference = `order-${randomUUID()}`;
    const intent = await pay('pm_card_visa', { capture_method: 'manual', metadata: { reference } });
    assert.equal(intent.status, 'requires_capture');
    assert.equal(intent.amount_capturable, 2_000);
    assertRequired(intent, 'PaymentIntents.d.ts', 'PaymentIntent', 'created payment intent');

    const captured = await stripe.paymentIntents.capture(intent.id, { amount_to_capture: 1_500 });
    assert.equal(captured.status, 'succeeded');
    assert.equal(captured.amount_received, 1_500);
    assertRequired(captured, 'PaymentIntents.d.ts', 'PaymentIntent', 'captured payment intent');

    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 500, reason: 'requested_by_customer' });
    assert.equal(refund.status, 'succeeded');
    assert.equal(refund.charge, captured.latest_charge);
    assertRequired(refund, 'Refunds.d.ts', 'Refund', 'created refund');
    assertRequired(await stripe.refunds.retrieve(refund.id), 'Refunds.d.ts', 'Refund', 'retrieved refund');

    const retrieved = await stripe.paymentIntents.retrieve(intent.id);
    assertRequired(retrieved, 'PaymentIntents.d.ts', 'PaymentIntent', 'retrieved payment intent');
    const found = await stripe.paymentIntents.search({ query: `metadata['reference']:'${reference}'` });
    assert.equal(found.object, 'search_result');
    assert.deepEqual(found.data.map((p) => p.id), [intent.id]);
  });

  it('expands latest_charge into the charge object, and refuses expansions it cannot make', async () => {
    const intent = await pay('pm_card_visa', { capture_method: 'manual', expand: ['latest_charge'] });
    assert.equal(typeof intent.latest_charge, 'object');
    assertRequired(intent.latest_charge, 'Charges.d.ts', 'Charge', 'expanded latest_charge');
    assert.equal(intent.latest_charge.captured, false);
    const captured = await stripe.paymentIntents.capture(intent.id, { expand: ['latest_charge'] });
    assert.equal(captured.latest_charge.captured, true);
    assert.equal(typeof (await stripe.paymentIntents.retrieve(intent.id)).latest_charge, 'string');
    assert.equal((await stripe.paymentIntents.retrieve(intent.id, { expand: ['latest_charge'] })).latest_charge.id, intent.latest_charge.id);

    await assert.rejects(stripe.paymentIntents.retrieve(intent.id, { expand: ['customer'] }), (error) => {
      assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError, error.type);
      assert.equal(error.param, 'expand');
      return true;
    });
  });

  it('cancels an authorization', async () => {
    const intent = await pay('pm_card_visa', { capture_method: 'manual' });
    const canceled = await stripe.paymentIntents.cancel(intent.id, { cancellation_reason: 'requested_by_customer' });
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.cancellation_reason, 'requested_by_customer');
    assertRequired(canceled, 'PaymentIntents.d.ts', 'PaymentIntent', 'canceled payment intent');
  });

  it('replays an idempotent create and refuses the key with other parameters', async () => {
    const idempotencyKey = randomUUID();
    const params = { amount: 700, currency: 'eur', payment_method: 'pm_card_visa', confirm: true };
    const created = await stripe.paymentIntents.create(params, { idempotencyKey });
    const replayed = await stripe.paymentIntents.create(params, { idempotencyKey });
    assert.equal(replayed.id, created.id);
    assert.equal(replayed.lastResponse.headers['idempotent-replayed'], 'true');

    await assert.rejects(stripe.paymentIntents.create({ ...params, amount: 701 }, { idempotencyKey }), (error) => {
      assert.ok(error instanceof Stripe.errors.StripeIdempotencyError, error.type);
      assertNoNulls(errorBody(error), 'idempotency error');
      return true;
    });
  });

  it('reports a decline as a card error whose absent fields are omitted, not null', async () => {
    await assert.rejects(pay('pm_card_insufficient_funds'), (error) => {
      assert.ok(error instanceof Stripe.errors.StripeCardError, error.type);
      assert.equal(error.statusCode, 402);
      assert.equal(error.code, 'card_declined');
      assert.equal(error.decline_code, 'insufficient_funds');
      assert.equal(error.param, undefined);
      const body = errorBody(error);
      assertNoNulls(body, 'card error');
      assertRequired(body.payment_intent, 'PaymentIntents.d.ts', 'PaymentIntent', 'declined payment intent');
      assert.equal(body.payment_intent.status, 'requires_payment_method');
      const last = body.payment_intent.last_payment_error;
      assertRequired(last, 'PaymentIntents.d.ts', 'PaymentIntent.LastPaymentError', 'last_payment_error');
      assertNoNulls(last, 'last_payment_error');
      return true;
    });
  });

  it('takes zero-decimal amounts as they are and three-decimal ones only ending in 0', async () => {
    const yen = await pay('pm_card_visa', { amount: 1_999, currency: 'jpy', capture_method: 'manual' });
    assert.equal(yen.amount_capturable, 1_999);
    const capturedYen = await stripe.paymentIntents.capture(yen.id, { amount_to_capture: 1_001 });
    assert.equal(capturedYen.amount_received, 1_001);
    assert.equal(capturedYen.currency, 'jpy');

    const dinars = await pay('pm_card_visa', { amount: 1_230, currency: 'kwd' });
    assert.equal(dinars.amount_received, 1_230);
    const refund = await stripe.refunds.create({ payment_intent: dinars.id, amount: 120 });
    assert.equal(refund.amount, 120);
    await assert.rejects(stripe.refunds.create({ payment_intent: dinars.id, amount: 5 }), (error) => {
      assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError, error.type);
      assert.equal(error.param, 'amount');
      return true;
    });
    await assert.rejects(pay('pm_card_visa', { amount: 1_005, currency: 'kwd' }), (error) => {
      assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError, error.type);
      assert.equal(error.code, 'invalid_charge_amount');
      assert.equal(error.param, 'amount');
      assertNoNulls(errorBody(error), 'invalid amount error');
      return true;
    });
  });

  it('reports invalid requests, unknown objects and bad keys in Stripe error classes', async () => {
    await assert.rejects(stripe.paymentIntents.create({ amount: 100, currency: 'eur', payment_method: 'pm_card_visa', confirm: true, colour: 'red' }), (error) => {
      assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError, error.type);
      assert.equal(error.code, 'parameter_unknown');
      assert.equal(error.param, 'colour');
      assert.equal(error.decline_code, undefined);
      assertNoNulls(errorBody(error), 'invalid request error');
      return true;
    });

    await assert.rejects(stripe.paymentIntents.retrieve('pi_does_not_exist'), (error) => {
      assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError, error.type);
      assert.equal(error.statusCode, 404);
      assert.equal(error.code, 'resource_missing');
      assertNoNulls(errorBody(error), 'missing resource error');
      return true;
    });

    const other = new Stripe('sk_live_not_a_simulator_key', { host: sim.https.hostname, port: sim.https.port, protocol: 'https', maxNetworkRetries: 0 });
    await assert.rejects(other.paymentIntents.retrieve('pi_x'), (error) => {
      assert.ok(error instanceof Stripe.errors.StripeAuthenticationError, error.type);
      assertNoNulls(errorBody(error), 'authentication error');
      return true;
    });
  });

  it('signs webhook events the library verifies, each event and object complete', async () => {
    const manual = await pay('pm_card_visa', { capture_method: 'manual' });
    await stripe.paymentIntents.capture(manual.id);
    const refund = await stripe.refunds.create({ payment_intent: manual.id, amount: 300 });
    await assert.rejects(pay('pm_card_declined'));

    const expected = [
      ['payment_intent.amount_capturable_updated', manual.id, 'PaymentIntents.d.ts', 'PaymentIntent'],
      ['payment_intent.succeeded', manual.id, 'PaymentIntents.d.ts', 'PaymentIntent'],
      ['charge.refunded', manual.latest_charge, 'Charges.d.ts', 'Charge'],
      ['refund.created', refund.id, 'Refunds.d.ts', 'Refund'],
      ['payment_intent.payment_failed', null, 'PaymentIntents.d.ts', 'PaymentIntent'],
    ];
    for (const [type, objectId, file, typePath] of expected) {
      const delivery = await receiver.waitFor((r) => {
        const body = JSON.parse(r.body);
        return body.type === type && (objectId === null || body.data.object.id === objectId);
      }, type);
      const event = stripe.webhooks.constructEvent(delivery.body, delivery.headers['stripe-signature'], sim.stripeWebhookSecret);
      assert.equal(event.type, type);
      assertRequired(event, 'Events.d.ts', 'EventBase', type);
      assertRequired(event.data, 'Events.d.ts', 'Event.Data', `${type} data`);
      assertRequired(event.request, 'Events.d.ts', 'Event.Request', `${type} request`);
      assertRequired(event.data.object, file, typePath, `${type} object`);
      if (typePath === 'Charge') {
        assertRequired(event.data.object.billing_details, 'Charges.d.ts', 'Charge.BillingDetails', `${type} billing_details`);
        assert.equal(event.data.object.disputed, false);
        assert.equal(event.data.object.amount_refunded, 300);
      }
      if (event.data.object.last_payment_error) {
        assertNoNulls(event.data.object.last_payment_error, `${type} last_payment_error`);
      }
    }
  });
});
