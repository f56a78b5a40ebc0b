namespace Obol.PspSimulator.Tests;

/// <summary>Polls a condition with a bounded deadline instead of sleeping a guessed amount.</summary>
public static class Eventually
{
    public static async Task<T> ReturnsAsync<T>(Func<Task<T?>> probe, TimeSpan? within = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition was not met before the deadline.");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public static Task TrueAsync(Func<Task<bool>> probe, TimeSpan? within = null) =>
        ReturnsAsync(async () => await probe() ? string.Empty : null, within);
}
