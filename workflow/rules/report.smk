import glob

# The replication report (paper/report.md and .html): every claim of paper/claims.yaml beside the
# number measured for it, read from the result files at render time. Each experiment's rule file
# adds its tables, metrics and figures to REPORT_INPUTS, so the report is rendered after them;
# the committed paper-scale results (paper/paper_scale/) are inputs too.


PAPER_SCALE_RESULTS = sorted(glob.glob("paper/paper_scale/*.csv.gz") + glob.glob("paper/paper_scale/*.json"))


rule report:
    input:
        claims="paper/claims.yaml",
        params="params.yaml",
        results=REPORT_INPUTS,
        paper_scale=PAPER_SCALE_RESULTS,
    output:
        markdown="paper/report.md",
        html="paper/report.html",
        verdicts="paper/verdicts.json",
        headlines=directory("paper/headlines"),
    log:
        "logs/report.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane report --claims {input.claims:q} --params {input.params:q}"
        " --out {output.markdown:q} --html {output.html:q} --verdicts {output.verdicts:q}"
        " --headlines {output.headlines:q} > {log:q} 2>&1"


localrules:
    report,
