namespace Obol.Server;

/// <summary>
/// The event ids of the host's own log messages: the range 9000–9999. Every module has its own range
/// (docs/README.md), so an id names one message across the solution.
/// </summary>
internal static class ServerLogEvents
{
    public const int WaitingForDatabase = 9000;
}
