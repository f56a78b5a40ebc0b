namespace Obol.PspSimulator;

/// <summary>
/// The event ids of the PSP simulator's log messages: the range 5000–5999. Every module has its own range
/// (docs/README.md), so an id names one message across the solution.
/// </summary>
internal static class PspSimulatorLogEvents
{
    public const int DeferredWorkFailed = 5100;

    public const int WebhookDelivered = 5200;
    public const int WebhookAttemptFailed = 5201;
    public const int WebhookGaveUp = 5202;
    public const int WebhookDropped = 5203;
    public const int WebhookAttemptRejected = 5204;

    public const int FaultInjected = 5300;

    public const int StripePaymentIntentCreated = 5400;
    public const int StripePaymentIntentChanged = 5401;

    public const int AdyenPaymentCreated = 5500;
    public const int AdyenModificationReceived = 5501;
}
