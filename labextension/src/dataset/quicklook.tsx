/** A dataset's quick-look: a picture of one variable at a time step and level. */
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useId, useRef, useState } from 'react';
import { useTrans } from '../translation';
import { Alert, Busy } from '../feedback';
import { getQuicklook } from '../api';

/** The theme the quick-look is drawn for, following JupyterLab's as it changes. */
function useTheme(): 'light' | 'dark' {
  const read = (): 'light' | 'dark' =>
    document.body.dataset.jpThemeLight === 'false' ? 'dark' : 'light';
  const [theme, setTheme] = useState(read);
  useEffect(() => {
    const observer = new MutationObserver(() => setTheme(read()));
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-light']
    });
    return () => observer.disconnect();
  }, []);
  return theme;
}

/** What the last picture shows, as the server reports it. */
interface IDrawn {
  url: string;
  alt: string;
  time: string | null;
  level: number | null;
  levels: string[];
  missing: string | null;
  ms: number;
}

/** Draw a quick-look whenever what is asked changes; the last picture's URL is freed. */
function useQuicklook(
  holding: string,
  id: string,
  variable: string | null,
  time: string | null,
  level: string | null
): { drawn: IDrawn | null; loading: boolean; error: string | null } {
  const theme = useTheme();
  const [drawn, setDrawn] = useState<IDrawn | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const urlRef = useRef<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    const started = performance.now();
    setLoading(true);
    setError(null);
    getQuicklook(holding, id, variable, time, level, theme, abort.signal).then(
      look => {
        if (abort.signal.aborted) {
          return;
        }
        const url = URL.createObjectURL(look.picture);
        if (urlRef.current) {
          URL.revokeObjectURL(urlRef.current);
        }
        urlRef.current = url;
        setDrawn({
          url,
          alt: `Quick-look of ${variable ?? 'the main variable'} in ${id}${
            time ? ` at ${time}` : ''
          }`,
          ...look,
          ms: Math.round(performance.now() - started)
        });
        setLoading(false);
      },
      reason => {
        if (!abort.signal.aborted) {
          setError((reason as Error).message);
          setLoading(false);
        }
      }
    );
    return () => abort.abort();
  }, [holding, id, variable, time, level, theme]);

  // the last picture's URL is freed with the view
  useEffect(
    () => () => {
      if (urlRef.current) {
        URL.revokeObjectURL(urlRef.current);
        urlRef.current = null;
      }
    },
    []
  );
  return { drawn, loading, error };
}

export function Quicklook({
  holding,
  id,
  guess,
  variables
}: {
  holding: string;
  id: string;
  /** The dataset's variable from its facets, drawn before the metadata is read. */
  guess: string | null;
  /** The data variables (not bounds), once the metadata has been read. */
  variables: string[] | null;
}): JSX.Element {
  const trans = useTrans();
  const fieldId = useId();
  const [chosen, setChosen] = useState<string | null>(null);
  const [time, setTime] = useState<string | null>(null);
  const [level, setLevel] = useState<string | null>(null);
  const variable = chosen ?? guess;
  const { drawn, loading, error } = useQuicklook(
    holding,
    id,
    variable,
    time,
    level
  );
  const choices = [...(variables ?? [])];
  if (variable && !choices.includes(variable)) {
    choices.unshift(variable);
  }
  return (
    <section
      className="jp-JasminDataset-section jp-JasminQuicklook"
      aria-labelledby={`${fieldId}-title`}
    >
      <h2 id={`${fieldId}-title`}>{trans.__('Quick-look')}</h2>
      <QuicklookForm
        fieldId={fieldId}
        choices={choices}
        variable={variable}
        level={level}
        time={time}
        drawn={drawn}
        loading={loading}
        onVariable={value => {
          setChosen(value);
          setLevel(null); // another variable may have other levels
        }}
        onLevel={setLevel}
        onTime={setTime}
      />
      {loading && <Busy text="Drawing quick-look…" announce />}
      {error && <Alert>{error}</Alert>}
      {drawn && (
        <QuicklookFigure drawn={drawn} stale={loading || error !== null} />
      )}
    </section>
  );
}

interface IQuicklookFormProps {
  fieldId: string;
  choices: string[];
  variable: string | null;
  level: string | null;
  time: string | null;
  drawn: IDrawn | null;
  loading: boolean;
  onVariable: (variable: string | null) => void;
  onLevel: (level: string | null) => void;
  onTime: (time: string | null) => void;
}

/** What to draw: the variable, its level and a time step. */
function QuicklookForm(props: IQuicklookFormProps): JSX.Element {
  const trans = useTrans();
  const { fieldId, choices, variable, level, time, drawn } = props;
  // null until the user types: the box then shows the time step drawn
  const [timeDraft, setTimeDraft] = useState<string | null>(null);
  const levels = drawn?.levels ?? [];
  const shownTime = timeDraft ?? drawn?.time ?? '';
  const asked = timeDraft === null ? time : timeDraft.trim() || null;
  return (
    <form
      className="jp-JasminDataset-actions"
      onSubmit={event => {
        event.preventDefault();
        props.onTime(asked);
      }}
    >
      <label htmlFor={`${fieldId}-variable`}>{trans.__('Variable')}</label>
      <HTMLSelect
        id={`${fieldId}-variable`}
        aria-label={trans.__('Variable for quick-look')}
        value={variable ?? ''}
        disabled={choices.length === 0}
        onChange={event => props.onVariable(event.target.value || null)}
        options={
          choices.length
            ? choices
            : [{ value: '', label: trans.__('main variable') }]
        }
      />
      <label htmlFor={`${fieldId}-level`}>{trans.__('Level')}</label>
      <HTMLSelect
        id={`${fieldId}-level`}
        aria-label={trans.__('Level for quick-look')}
        value={level ?? String(drawn?.level ?? '')}
        disabled={levels.length === 0}
        onChange={event => props.onLevel(event.target.value || null)}
        options={
          levels.length
            ? levels.map((label, index) => ({ value: String(index), label }))
            : [{ value: '', label: trans.__('none') }]
        }
      />
      <label htmlFor={`${fieldId}-time`}>{trans.__('Time')}</label>
      <input
        id={`${fieldId}-time`}
        className="jp-mod-styled jp-JasminQuicklook-time"
        type="text"
        aria-label={trans.__('Time step for quick-look')}
        placeholder={trans.__('first with data')}
        title={trans.__(
          'A time step: its index (0, 1, … or -1 for the last) or a date such as 1990-06 or 1990-06-15'
        )}
        value={shownTime}
        spellCheck={false}
        autoComplete="off"
        onChange={event => setTimeDraft(event.target.value)}
      />
      <Button
        type="submit"
        small
        className="jp-mod-styled jp-mod-reject"
        aria-label={trans.__('Draw quick-look')}
        disabled={props.loading && asked === time}
      >
        {trans.__('Draw')}
      </Button>
    </form>
  );
}

/** The picture, and what it shows (or that it has no valid value) once current. */
function QuicklookFigure({
  drawn,
  stale
}: {
  drawn: IDrawn;
  stale: boolean;
}): JSX.Element {
  const trans = useTrans();
  const shows = [
    drawn.time,
    drawn.level === null ? null : drawn.levels[drawn.level]
  ].filter(Boolean);
  return (
    <figure
      className={`jp-JasminQuicklook-figure${stale ? ' jp-mod-stale' : ''}`}
    >
      <img src={drawn.url} alt={drawn.alt} />
      {!stale && drawn.missing && (
        <Alert kind="info" className="jp-JasminQuicklook-missing">
          {trans.__('No data to draw:')} {drawn.missing}
        </Alert>
      )}
      {!stale && (
        <figcaption className="jp-JasminMuted">
          {shows.length
            ? trans.__(
                '%1; drawn in %2 s',
                shows.join(', '),
                (drawn.ms / 1000).toFixed(1)
              )
            : trans.__('Drawn in %1 s', (drawn.ms / 1000).toFixed(1))}
        </figcaption>
      )}
    </figure>
  );
}
