namespace Obol.Fx;

/// <summary>The event ids of FX's log messages: the range 10000–10999 (docs/README.md).</summary>
internal static class FxLogEvents
{
    public const int RatesStored = 10000;
    public const int RatesRefreshFailed = 10001;
}
