namespace Obol.Core.Merchants;

/// <summary>
/// Configuration <c>Obol:Mode</c>: whether this installation moves real money (<c>live</c>) or only pretends to
/// (<c>test</c>, the default). Every object an installation holds is of its mode, so test and live data never mix: it
/// issues and accepts keys of its own mode only (an <c>sk_live_</c> key on a test installation, or the other way round,
/// is refused before it can touch anything), and its PSP settings must be of its mode too (see PaymentsOptions). Run
/// one installation, with its own database, per mode.
/// </summary>
public sealed class InstallationMode
{
    public const string Test = "test";
    public const string Live = "live";

    public string Mode { get; set; } = Test;

    public bool IsLive => Mode == Live;

    public static IEnumerable<string> Problems(InstallationMode options)
    {
        if (options.Mode is not (Test or Live))
        {
            yield return $"Mode must be '{Test}' or '{Live}', not '{options.Mode}'.";
        }
    }
}
