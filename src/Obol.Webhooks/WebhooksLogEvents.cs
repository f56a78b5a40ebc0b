namespace Obol.Webhooks;

/// <summary>The event ids of the webhooks module's log messages: the range 6000–6999 (docs/README.md).</summary>
internal static class WebhooksLogEvents
{
    public const int DispatchRoundFailed = 6100;
    public const int RecordFailed = 6101;
    public const int EndpointDisabled = 6102;
}
