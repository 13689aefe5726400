"""Analysis over what a viewer may see: link analysis, routes, statistics, indicators."""
