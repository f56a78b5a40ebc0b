using System.Net;
using Obol.Core;
using Obol.Core.Configuration;

namespace Obol.Payments.Psp;

/// <summary>
/// Configuration section <c>Obol:Payments</c>. A PSP without a base URL talks to the PSP simulator that the
/// server hosts in-process under <c>/sim</c> (the default run); give a real base URL and its secrets to use the real PSP.
/// The simulator's published secrets stand in for missing ones only while the PSP is the in-process simulator or one on
/// this machine (a loopback base URL): anywhere else a missing secret, or a published one, stops start-up, because a
/// published webhook secret would let anybody forge a PSP's webhooks.
/// </summary>
public sealed class PaymentsOptions
{
    public const string Section = "Obol:Payments";

    public StripeOptions Stripe { get; set; } = new();
    public AdyenOptions Adyen { get; set; } = new();

    /// <summary>How long one PSP call may take before its outcome counts as unknown.</summary>
    public TimeSpan PspTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Routing rules, first match wins; with none, every payment tries Stripe then Adyen.</summary>
    public List<RoutingRule> Routing { get; set; } = [];

    public ResolverOptions Resolver { get; set; } = new();

    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();

    public static readonly IReadOnlyList<string> PspNames = [Obol.Payments.Psp.Stripe.StripeConnector.PspName, Obol.Payments.Psp.Adyen.AdyenConnector.PspName];

    /// <summary>True when a PSP at this base URL is a simulator: the in-process one (no URL) or one on this machine.</summary>
    public static bool IsSimulator(string? baseUrl) =>
        string.IsNullOrEmpty(baseUrl)
        || (Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri)
            && (uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip))));

    /// <summary>Fills missing secrets with the simulator's published ones where the PSP is a simulator.</summary>
    public static void CompleteDefaults(PaymentsOptions options)
    {
        if (IsSimulator(options.Stripe.BaseUrl))
        {
            options.Stripe.ApiKey = OrDefault(options.Stripe.ApiKey, StripeOptions.SimulatorApiKey);
            options.Stripe.WebhookSecret = OrDefault(options.Stripe.WebhookSecret, StripeOptions.SimulatorWebhookSecret);
        }

        if (IsSimulator(options.Adyen.BaseUrl))
        {
            options.Adyen.ApiKey = OrDefault(options.Adyen.ApiKey, AdyenOptions.SimulatorApiKey);
            options.Adyen.HmacKey = OrDefault(options.Adyen.HmacKey, AdyenOptions.SimulatorHmacKey);
            options.Adyen.MerchantAccount = OrDefault(options.Adyen.MerchantAccount, AdyenOptions.SimulatorMerchantAccount);
        }

        static string OrDefault(string value, string published) => value.Length > 0 ? value : published;
    }

    public static IEnumerable<string> Problems(PaymentsOptions options)
    {
        foreach (var problem in ModuleOptions.Positive("PspTimeout", options.PspTimeout)
            .Concat(options.Stripe.Problems()).Concat(options.Adyen.Problems())
            .Concat(options.Routing.SelectMany((rule, i) => rule.Problems($"Routing:{i}")))
            .Concat(options.Resolver.Problems()).Concat(options.CircuitBreaker.Problems()))
        {
            yield return problem;
        }
    }

    internal static IEnumerable<string> BaseUrlProblems(string psp, string? baseUrl)
    {
        if (!string.IsNullOrEmpty(baseUrl)
            && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            yield return $"{psp}:BaseUrl must be an absolute http or https URL, not '{baseUrl}'.";
        }
    }

    internal static IEnumerable<string> SecretProblems(string psp, string? baseUrl, string setting, string value, string published)
    {
        if (value.Length == 0)
        {
            yield return $"{psp}:{setting} is required: {psp}:BaseUrl is {baseUrl}, which is not a simulator on this machine.";
        }
        else if (value == published && !IsSimulator(baseUrl))
        {
            yield return $"{psp}:{setting} is the PSP simulator's published value, which is for a simulator only; {psp}:BaseUrl is {baseUrl}.";
        }
    }
}

public sealed class StripeOptions
{
    public const string SimulatorApiKey = "sk_test_obol_simulator";
    public const string SimulatorWebhookSecret = "whsec_obol_simulator";

    public string? BaseUrl { get; set; }
    public string ApiKey { get; set; } = "";
    public string WebhookSecret { get; set; } = "";

    internal IEnumerable<string> Problems() =>
        PaymentsOptions.BaseUrlProblems("Stripe", BaseUrl)
            .Concat(PaymentsOptions.SecretProblems("Stripe", BaseUrl, "ApiKey", ApiKey, SimulatorApiKey))
            .Concat(PaymentsOptions.SecretProblems("Stripe", BaseUrl, "WebhookSecret", WebhookSecret, SimulatorWebhookSecret));
}

public sealed class AdyenOptions
{
    public const string SimulatorApiKey = "adyen_test_obol_simulator";
    public const string SimulatorMerchantAccount = "ObolMerchantAccount";
    public const string SimulatorHmacKey = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";

    public string? BaseUrl { get; set; }
    public string ApiKey { get; set; } = "";
    public string MerchantAccount { get; set; } = "";

    /// <summary>The webhook HMAC key, hex, as Adyen's Customer Area shows it.</summary>
    public string HmacKey { get; set; } = "";

    internal IEnumerable<string> Problems()
    {
        foreach (var problem in PaymentsOptions.BaseUrlProblems("Adyen", BaseUrl)
            .Concat(PaymentsOptions.SecretProblems("Adyen", BaseUrl, "ApiKey", ApiKey, SimulatorApiKey))
            .Concat(PaymentsOptions.SecretProblems("Adyen", BaseUrl, "HmacKey", HmacKey, SimulatorHmacKey)))
        {
            yield return problem;
        }

        if (MerchantAccount.Length == 0)
        {
            yield return $"Adyen:MerchantAccount is required: Adyen:BaseUrl is {BaseUrl}, which is not a simulator on this machine.";
        }

        if (HmacKey.Length % 2 != 0 || !HmacKey.All(char.IsAsciiHexDigit))
        {
            yield return "Adyen:HmacKey must be hexadecimal, as Adyen's Customer Area shows it.";
        }
    }
}

public sealed class RoutingRule
{
    public List<string>? Currencies { get; set; }
    public long? MinAmount { get; set; }
    public long? MaxAmount { get; set; }
    public List<string>? PaymentMethods { get; set; }
    public List<string>? Merchants { get; set; }
    public List<string> Psps { get; set; } = [];

    internal IEnumerable<string> Problems(string at)
    {
        if (Psps.Count == 0)
        {
            yield return $"{at}:Psps must name at least one PSP ({string.Join(", ", PaymentsOptions.PspNames)}).";
        }

        foreach (var psp in Psps.Where(p => !PaymentsOptions.PspNames.Contains(p, StringComparer.Ordinal)))
        {
            yield return $"{at}:Psps names '{psp}', which is not a PSP; one of {string.Join(", ", PaymentsOptions.PspNames)}.";
        }

        if (Psps.Distinct(StringComparer.Ordinal).Count() != Psps.Count)
        {
            yield return $"{at}:Psps names a PSP twice.";
        }

        foreach (var code in (Currencies ?? []).Where(c => !Currency.TryFromCode(c, out _)))
        {
            yield return $"{at}:Currencies names '{code}', which is not an ISO 4217 code in upper case.";
        }

        if (MinAmount is < 0 || MaxAmount is < 0 || MinAmount > MaxAmount)
        {
            yield return $"{at}: MinAmount and MaxAmount are minor units, not negative, MinAmount not above MaxAmount.";
        }
    }
}

public sealed class ResolverOptions
{
    /// <summary>Runs the background loop; tests that drive <c>ResolveDueAsync</c> themselves switch it off.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the resolver looks for unknown outcomes.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>An attempt still <c>started</c> this long after it began belongs to a crashed request.</summary>
    public TimeSpan StartedLease { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one node works on an attempt before another may take it (a node that died while resolving).</summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(1);

    internal IEnumerable<string> Problems() =>
        ModuleOptions.Positive("Resolver:PollInterval", PollInterval)
            .Concat(ModuleOptions.Positive("Resolver:StartedLease", StartedLease))
            .Concat(ModuleOptions.Positive("Resolver:InitialBackoff", InitialBackoff))
            .Concat(ModuleOptions.Positive("Resolver:ClaimLease", ClaimLease))
            .Concat(MaxBackoff < InitialBackoff ? ["Resolver:MaxBackoff must not be shorter than Resolver:InitialBackoff."] : []);
}

/// <summary>
/// Each PSP's circuit breaker (per node): opened when at least <see cref="MinimumThroughput"/> calls in
/// <see cref="SamplingDuration"/> fail at <see cref="FailureRatio"/> or more (not processed, or unknown), open for
/// <see cref="BreakDuration"/>, then one trial call.
/// </summary>
public sealed class CircuitBreakerOptions
{
    public double FailureRatio { get; set; } = 0.5;
    public int MinimumThroughput { get; set; } = 10;
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    // Polly's own bounds for a circuit breaker: a ratio in (0, 1], at least 2 calls, at least half a second.
    internal IEnumerable<string> Problems()
    {
        if (FailureRatio is not (> 0 and <= 1))
        {
            yield return $"CircuitBreaker:FailureRatio must be above 0 and at most 1, not {FailureRatio}.";
        }

        if (MinimumThroughput < 2)
        {
            yield return $"CircuitBreaker:MinimumThroughput must be at least 2, not {MinimumThroughput}.";
        }

        if (SamplingDuration < TimeSpan.FromMilliseconds(500) || BreakDuration < TimeSpan.FromMilliseconds(500))
        {
            yield return "CircuitBreaker:SamplingDuration and CircuitBreaker:BreakDuration must be at least 00:00:00.5.";
        }
    }
}
