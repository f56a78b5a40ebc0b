using Obol.PspSimulator.Faults;

namespace Obol.PspSimulator;

/// <summary>Configuration section <c>PspSimulator</c>.</summary>
public sealed record PspSimulatorOptions
{
    public const string SectionName = "PspSimulator";

    public StripeDialectOptions Stripe { get; init; } = new();
    public AdyenDialectOptions Adyen { get; init; } = new();

    /// <summary>How long a timed-out response (<c>pm_card_timeout</c> or the fault) is held before the connection is dropped.</summary>
    public TimeSpan TimeoutHold { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Delay before a <c>pm_bank_transfer</c> payment settles and its webhook is sent.</summary>
    public TimeSpan BankTransferSettleDelay { get; init; } = TimeSpan.FromSeconds(5);

    public WebhookRetryOptions WebhookRetry { get; init; } = new();
    public FeeRule Fees { get; init; } = new();

    /// <summary>
    /// The currency both PSPs pay the merchant out in (settlement reports): a movement in another currency is converted at the
    /// simulator's reference rates (<c>/sim/ecb/eurofxref-daily.xml</c>) less <see cref="ConversionMarkupBps"/>, rounded half
    /// away from zero, and its fee is charged in this currency. Unset: each movement settles in its own currency.
    /// </summary>
    public string? SettlementCurrency { get; init; }

    /// <summary>What the PSP keeps on a conversion, in basis points of the reference rate.</summary>
    public int ConversionMarkupBps { get; init; }

    /// <summary>
    /// Standalone only: where an HTTP <c>CONNECT</c> proxy listens (<c>http://127.0.0.1:5091</c>; port 0 picks one) that
    /// tunnels PSP API hosts to this simulator's HTTPS endpoint, for client libraries that take a proxy but no base URL.
    /// </summary>
    public Uri? ProxyUrl { get; init; }

    /// <summary>Faults active from start-up until <c>POST /sim/faults</c> replaces them or <c>POST /sim/reset</c> clears them.</summary>
    public FaultSettings Faults { get; init; } = new();
}

public sealed record StripeDialectOptions
{
    /// <summary>Secret keys accepted as Bearer tokens. Empty: any key starting with <c>sk_test_</c>.</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary>An endpoint signed with <see cref="WebhookSecret"/>, delivered to before <see cref="WebhookEndpoints"/>.</summary>
    public Uri? WebhookUrl { get; init; }

    /// <summary>The signing secret of <see cref="WebhookUrl"/> and of endpoints that name none.</summary>
    public string WebhookSecret { get; init; } = "whsec_obol_simulator";
    public IReadOnlyList<WebhookEndpointOptions> WebhookEndpoints { get; init; } = [];

    /// <summary>Emitted as <c>api_version</c> in events; matches Stripe.net 53.1.0's pinned version.</summary>
    public string ApiVersion { get; init; } = "2026-10-28.endive";
}

public sealed record AdyenDialectOptions
{
    /// <summary>Values accepted in <c>X-API-Key</c>. Empty: any non-empty key.</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary>An endpoint signed with <see cref="HmacKey"/>, delivered to before <see cref="WebhookEndpoints"/>.</summary>
    public Uri? WebhookUrl { get; init; }

    /// <summary>
    /// Hex-encoded HMAC key (as generated in Adyen's Customer Area) of <see cref="WebhookUrl"/> and of endpoints that
    /// name none.
    /// </summary>
    public string HmacKey { get; init; } = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
    public IReadOnlyList<WebhookEndpointOptions> WebhookEndpoints { get; init; } = [];
    public string CompanyAccount { get; init; } = "ObolCompany";

    /// <summary>Whether payments without <c>additionalData.manualCapture</c> are captured immediately.</summary>
    public bool AutoCaptureByDefault { get; init; } = true;
}

/// <summary>One more webhook endpoint of a PSP, like a Stripe webhook endpoint or an Adyen webhook configuration.</summary>
public sealed record WebhookEndpointOptions
{
    public Uri? Url { get; init; }

    /// <summary>Stripe <c>whsec_…</c> or Adyen hex HMAC key; empty: the PSP's <c>WebhookSecret</c> / <c>HmacKey</c>.</summary>
    public string? Secret { get; init; }
}

public sealed record WebhookRetryOptions
{
    /// <summary>Total delivery attempts per event, the first included.</summary>
    public int MaxAttempts { get; init; } = 8;
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(5);
    public int BackoffFactor { get; init; } = 3;
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromHours(1);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan DelayBeforeAttempt(int attempt)
    {
        // attempt 1 is immediate; attempt n waits InitialDelay * factor^(n-2), capped.
        if (attempt <= 1)
        {
            return TimeSpan.Zero;
        }

        var delay = InitialDelay;
        for (var i = 2; i < attempt && delay < MaxDelay; i++)
        {
            delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, delay.Ticks * BackoffFactor));
        }

        return delay < MaxDelay ? delay : MaxDelay;
    }
}

/// <summary>Processing fee: <c>amount * PercentBasisPoints / 10000</c> rounded half up, plus <c>FixedMinorUnits</c>.</summary>
public sealed record FeeRule
{
    public long PercentBasisPoints { get; init; } = 290;
    public long FixedMinorUnits { get; init; } = 30;

    public long FeeFor(long amountMinor)
    {
        if (amountMinor <= 0)
        {
            return 0;
        }

        return checked(((amountMinor * PercentBasisPoints) + 5_000) / 10_000 + FixedMinorUnits);
    }
}
