"""Reports of a run or a comparison: the Markdown/CSV report, the HTML report and the
standard figures (stocks, trajectories, outcomes).

The top library layer (with the explorer): it may use every experiment's results;
nothing below imports it. Experiment-specific figures stay in their experiment.
"""
