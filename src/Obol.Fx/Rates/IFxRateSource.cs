namespace Obol.Fx.Rates;

/// <summary>Where reference rates come from. A failure (unreachable, malformed) throws; the rates stored before stay in force.</summary>
public interface IFxRateSource
{
    Task<RateSet> FetchAsync(CancellationToken cancellationToken);
}
