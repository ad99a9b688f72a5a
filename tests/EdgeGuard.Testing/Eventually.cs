namespace EdgeGuard.Testing;

/// <summary>Polling waits with a failure message instead of a hang.</summary>
public static class Eventually
{
    /// <summary>Waits until <paramref name="condition"/> holds; throws <see cref="TimeoutException"/> with <paramref name="what"/> otherwise.</summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }
}
