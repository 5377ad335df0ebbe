# Страница «Обзор».
overview-title = Обзор
overview-updated = Обновлено { $time }; страница обновляется сама.
overview-alerts = Требует внимания
overview-all-well = Всё работает. Ничего не требует вашего внимания.
overview-alert-sim_cooling_down = SIM-карта в { $modem } отдыхает и пока ничего не отправляет; её сообщения уходят через другие SIM-карты.
overview-alert-until = Снова начнёт отправлять в { $time }.
overview-alert-modem_disconnected = Модем { $modem } отключён. Проверьте, что он подключён к шлюзу.
overview-alert-modem_not_ready = Модем { $modem } не может отправлять: { $state }.
overview-alert-modem_storage_full = Память сообщений { $modem } заполнена: ответы не смогут прийти. Удалите сохранённые сообщения (simfleet modem inbox --delete).
overview-alert-storage_full = Диск шлюза заполнен (свободно { $free } МБ): сообщения и ответы не сохраняются. Освободите место как можно скорее.
overview-alert-storage_low = Диск шлюза почти заполнен (свободно { $free } МБ).
overview-alert-webhook_failing = Ваша система по адресу { $url } не принимает события: { $count ->
    [one] ждёт { $n } событие
    [few] ждут { $n } события
   *[other] ждут { $n } событий
}.
overview-alert-email_failing = Ответы сейчас не удаётся переслать по почте: { $count ->
    [one] ждёт { $n } ответ
    [few] ждут { $n } ответа
   *[other] ждут { $n } ответов
}.
overview-alert-optouts_to_review = { $count ->
    [one] { $n } ответ похож
    [few] { $n } ответа похожи
   *[other] { $n } ответов похожи
} на просьбу больше не писать.
overview-alert-why = Причина: { $reason }
overview-see-settings = Подробнее о доставке
overview-review-now = Разобрать
overview-today = Сегодня
overview-today-sent = Отправлено
overview-today-delivered = Доставлено
overview-today-replies = Ответов
overview-today-optouts = Отписались
overview-since = С { $time }.
overview-empty = Сообщений пока нет —
overview-empty-send = отправьте первое
overview-queue = Очередь
overview-queue-queued = Ждут SIM-карту
overview-queue-scheduled = Запланированы
overview-queue-sending = Отправляются
overview-queue-unknown = Исход неизвестен
overview-modems = Модемы и SIM-карты
overview-modem = Модем
overview-no-modems = Модемы пока не найдены. Подключите USB-модем к шлюзу — он появится здесь через несколько секунд.
overview-state-connecting = Подключается
overview-state-ready = Готов
overview-state-busy = Отправляет
overview-state-cooling_down = Отдыхает
overview-state-no_sim = Нет SIM-карты
overview-state-pin_required = Нужен PIN-код SIM-карты
overview-state-not_registered = Нет сети
overview-state-disconnected = Отключён
overview-state-failed = Не работает
overview-state-other = Состояние неизвестно
overview-signal = Сигнал
overview-signal-excellent = Отличный
overview-signal-good = Хороший
overview-signal-fair = Средний
overview-signal-poor = Слабый
overview-signal-none = Пока неизвестен
overview-operator = Оператор
overview-sent-today = Отправлено сегодня
overview-of-limit = { $sent } из { $limit }
overview-no-limit = без дневного лимита
overview-warm-up = Новая SIM-карта разогревается: день { $day }
overview-month = В этом месяце
overview-month-left = { $count ->
    [one] осталась { $n } часть сообщения
    [few] осталось { $n } части сообщений
   *[other] осталось { $n } частей сообщений
}
overview-month-sent = { $count ->
    [one] отправлена { $n } часть сообщения
    [few] отправлено { $n } части сообщений
   *[other] отправлено { $n } частей сообщений
}, без месячного лимита
overview-new-recipients-left = { $count ->
    [one] остался { $n } новый получатель
    [few] осталось { $n } новых получателя
   *[other] осталось { $n } новых получателей
}
overview-last-error = Последняя проблема: { $error }
