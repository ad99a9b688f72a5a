using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Simulation;

/// <summary>Puts a simulated driver's input lines where a quiet building would have them.</summary>
public static class SimulatedSite
{
    /// <summary>Sets every point's line to its inactive level; returns the driver for chaining.</summary>
    public static SimulatedGpioDriver WithQuietInputs(this SimulatedGpioDriver driver, SiteDefinition site)
    {
        ArgumentNullException.ThrowIfNull(driver);
        ArgumentNullException.ThrowIfNull(site);
        // Points on expander pins and ADC loops are quieted by SimulatedBoard.
        foreach (var point in site.Points.Where(p => p.LineAddress is null))
        {
            driver.SetInputLevel(point.Line, point.LevelFor(active: false));
        }

        return driver;
    }
}
