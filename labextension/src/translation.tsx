/**
 * The panel's strings go through JupyterLab's translator (`ITranslator`), in the
 * `jupyter_jasmin` domain: the plugin loads the bundle and provides it to the
 * React views through a context; without a translator, the English text.
 */
import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';
import React, { useContext } from 'react';

/** The translation domain of the panel's strings. */
export const DOMAIN = 'jupyter_jasmin';

/** The bundle of the panel's strings for a translator (or in English). */
export function loadTrans(translator?: ITranslator | null): TranslationBundle {
  return (translator ?? nullTranslator).load(DOMAIN);
}

const TransContext = React.createContext<TranslationBundle>(loadTrans());

/** Gives the views below it the bundle to translate with. */
export function TransProvider(props: {
  trans: TranslationBundle;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <TransContext.Provider value={props.trans}>
      {props.children}
    </TransContext.Provider>
  );
}

/** The bundle a view translates its strings with. */
export function useTrans(): TranslationBundle {
  return useContext(TransContext);
}
