# Рассылки: список, мастер и страница рассылки.
campaigns-title = Рассылки
campaigns-new = Новая рассылка
campaigns-filter-status = Состояние
campaigns-all = Все рассылки
campaigns-filter-apply = Показать
campaigns-none-here = Здесь рассылок нет.
campaigns-empty-title = Рассылок пока нет
campaigns-empty = Рассылка отправляет текст (или несколько вариантов для сравнения) группе ваших клиентов — каждому в удобное время по его часам.
campaigns-col-name = Рассылка
campaigns-col-status = Состояние
campaigns-col-audience = Кому
campaigns-col-when = Когда
campaigns-col-progress = Ход
campaigns-col-variant = Вариант
campaigns-col-recipients = Получатели
campaigns-col-sms = SMS
campaigns-col-cost = Стоимость
campaigns-col-hour = Час
campaigns-col-group = Группа
campaigns-variants-count = { $count ->
    [one] { $count } текст
    [few] { $count } текста
   *[many] { $count } текстов
}
campaigns-ab-short = A/B-тест
campaigns-aud-segment = Сегмент «{ $name }»
campaigns-aud-list = { $count ->
    [one] { $count } номер из списка
    [few] { $count } номера из списка
   *[many] { $count } номеров из списка
}
campaigns-aud-filter = Клиенты по условиям
campaigns-created-at = Создана { $when }
campaigns-started-at = Запущена { $when }
campaigns-finished-at = Завершена { $when }
campaigns-pages = Страницы
campaigns-newest = Новые
campaigns-older = Более ранние рассылки
campaigns-status-draft = Черновик
campaigns-status-scheduled = Запланирована
campaigns-status-running = Идёт отправка
campaigns-status-paused = На паузе
campaigns-status-completed = Завершена
campaigns-status-cancelled = Отменена
campaigns-back-to-list = ← Все рассылки
campaigns-wizard-title = Новая рассылка
campaigns-edit-title = Изменить «{ $name }»
campaigns-step-audience = Кому
campaigns-step-variants = Тексты
campaigns-step-schedule = Когда и как часто
campaigns-step-review = Проверка и запуск
campaigns-next = Далее
campaigns-back = Назад
campaigns-save-draft = Сохранить черновик
campaigns-start = Запустить рассылку
campaigns-name = Название рассылки
campaigns-name-example = например, Весенняя распродажа
campaigns-who = Получатели
campaigns-kind-segment = Сохранённый сегмент
campaigns-segment = Сегмент
campaigns-choose-segment = Выберите сегмент…
campaigns-no-segments = Сохранённых сегментов пока нет.
campaigns-to-segments = Создайте сегмент на странице «Сегменты»
campaigns-kind-filter = Клиенты по условиям
campaigns-filter-hint = Оставьте всё пустым, чтобы отправить всем, кто согласился получать сообщения.
campaigns-f-tag = С меткой
campaigns-f-language = Язык
campaigns-f-attr = Где поле
campaigns-f-attr-any = (любое поле)
campaigns-f-value = равно
campaigns-kind-list = Список номеров
campaigns-list = Номера телефонов
campaigns-list-hint = По номеру на строку (или через запятую). Получат только те, кто согласился получать сообщения.
campaigns-count-hint = Выберите получателей — здесь появится, сколько это человек.
campaigns-count-reach = { $count ->
    [0] Пока никто не может её получить
    [one] Получит { $count } человек
    [few] Получат { $count } человека
   *[many] Получат { $count } человек
}
campaigns-count-matched = { $count ->
    [one] Подходит { $count } клиент; не получат:
    [few] Подходят { $count } клиента; не получат:
   *[many] Подходят { $count } клиентов; не получат:
}
campaigns-excl-no-consent = без согласия — { $count }.
campaigns-excl-opted-out = отписались — { $count }.
campaigns-excl-invalid = с неверным номером — { $count }.
campaigns-count-nobody = Здесь никому нельзя отправлять рекламу: проверьте согласие клиентов.
campaigns-count-unreadable = Этих получателей сейчас не прочитать (сегмент удалён?).
campaigns-variables-hint = Пишите текст так, как его прочтёт клиент. {"{{ name }}"} подставит имя клиента, {"{{ attributes.city }}"} — любое его поле.
campaigns-variant-named = Вариант { $name }
campaigns-variant-name = Название
campaigns-variant-weight = Доля (вес)
campaigns-variant-text = Текст
campaigns-remove-variant = Удалить вариант { $name }
campaigns-add-variant = Добавить вариант
campaigns-weight-hint = Варианты делятся по долям: 1 и 1 — пополам, 3 и 1 — три четверти и четверть.
campaigns-preview-title = Как это выглядит
campaigns-preview-loading = Предпросмотр появится здесь, пока вы пишете.
campaigns-preview-empty = Напишите текст, чтобы увидеть, как он читается.
campaigns-preview-sample = { $count ->
    [one] Так его получит первый получатель:
    [few] Так его получат первые получатели (подсчёт по { $count }):
   *[many] Так его получат первые получатели (подсчёт по { $count }):
}
campaigns-preview-nobody = В этой аудитории пока никто не может получить рассылку — показать не на ком.
campaigns-sms-count = { $count } SMS
campaigns-warn-ucs2 = Из-за «{ $char }» текст уйдёт в Юникоде: 70 символов в SMS вместо 160.
campaigns-warn-replace = Напишите «{ $with }», чтобы текст был короче.
campaigns-warn-missing = { $count ->
    [one] У { $count } получателя нет поля { $name }: он ничего не получит.
   *[other] У { $count } получателей нет поля { $name }: они ничего не получат.
}
campaigns-warn-empty = { $count ->
    [one] Поле { $name } пустое у { $count } получателя.
   *[other] Поле { $name } пустое у { $count } получателей.
}
campaigns-warn-longer = { $count ->
    [one] { $count } получатель получит текст длиннее (больше SMS).
    [few] { $count } получателя получат текст длиннее (больше SMS).
   *[many] { $count } получателей получат текст длиннее (больше SMS).
}
campaigns-per-message = { $sms } SMS на сообщение, { $cost }
campaigns-variant-estimate = около { $count } получателей, { $sms } SMS
campaigns-estimate-total = Всего около { $count } сообщений, { $sms } SMS, { $cost }
campaigns-estimate-hint = Оценка по первым получателям, { $price } за SMS; на последнем шаге посчитаем точно.
campaigns-when = Начало и конец
campaigns-start-now = Начать сразу после запуска
campaigns-start-later = Начать в заданное время
campaigns-start-at = Время начала
campaigns-deadline = Не отправлять после
campaigns-times-zone = Время в вашем часовом поясе ({ $zone }).
campaigns-deadline-hint = Если конец не указан, отправка прекратится через { $hours } ч после начала.
campaigns-window = Часы отправки
campaigns-window-hint = По часам каждого получателя: клиент в другом часовом поясе получит сообщение днём по своему времени, а не по вашему.
campaigns-window-from = С
campaigns-window-to = До
campaigns-days = Дни
campaigns-day-mon = Пн
campaigns-day-tue = Вт
campaigns-day-wed = Ср
campaigns-day-thu = Чт
campaigns-day-fri = Пт
campaigns-day-sat = Сб
campaigns-day-sun = Вс
campaigns-caps = Как часто
campaigns-caps-hint = Сколько рекламных сообщений от вас получает один человек за все рассылки. Пусто — по настройкам шлюза.
campaigns-cap-24h = Не больше за 24 часа
campaigns-cap-7d = Не больше за 7 дней
campaigns-rate = Сообщений в час
campaigns-no-limit = без ограничения
campaigns-ab = A/B-тест
campaigns-ab-on = Сначала проверить варианты на части получателей, потом отправить остальным лучший
campaigns-ab-hint = Тестовая часть делится между вариантами по их долям.
campaigns-ab-share = Тестовая часть (%)
campaigns-ab-metric = Лучший — у кого больше
campaigns-metric-reply = ответов
campaigns-metric-click = переходов по ссылке
campaigns-metric-redeem = использованных промокодов
campaigns-metric-delivered = доставок
campaigns-ab-after = Выбрать лучший через
campaigns-ab-unit = Единица
campaigns-unit-m = минут
campaigns-unit-h = часов
campaigns-unit-d = дней
campaigns-review-reach = { $count ->
    [one] человек получит её, если запустить сейчас
    [few] человека получат её, если запустить сейчас
   *[many] человек получат её, если запустить сейчас
}
campaigns-review-left-out = Не получат: { $count } (нет согласия, отписались или неверный номер).
campaigns-starts-at = Начало { $when }
campaigns-starts-now = Начнётся сразу
campaigns-ends-by = Не отправлять после { $when }
campaigns-ends-default = Отправка прекратится через { $hours } ч после начала
campaigns-window-summary = С { $from } до { $to } по часам получателя
campaigns-caps-summary = Не больше { $day } в день и { $week } в неделю на человека
campaigns-rate-summary = Не больше { $count } сообщений в час
campaigns-ab-summary = Варианты проверяются на { $share } получателей; вариант, у которого больше { $metric } через { $after }, уйдёт остальным.
campaigns-ab-none = Без теста: каждый получит один из вариантов по его доле.
campaigns-weight-of = доля { $weight }
campaigns-eta = Сколько займёт
campaigns-eta-nothing = Отправлять нечего.
campaigns-eta-no-sims = { $count ->
    [one] Нужно отправить { $count } сообщение, но ни одна SIM-карта сейчас не готова.
    [few] Нужно отправить { $count } сообщения, но ни одна SIM-карта сейчас не готова.
   *[many] Нужно отправить { $count } сообщений, но ни одна SIM-карта сейчас не готова.
}
campaigns-eta-partial = До конца с { $sims } SIM успеет уйти только { $sendable } из { $count }; { $expire } не будут отправлены. Дайте больше времени или расширьте часы отправки.
campaigns-eta-all = { $count ->
    [one] { $count } сообщение, отправляют SIM-карт: { $sims }.
    [few] { $count } сообщения, отправляют SIM-карт: { $sims }.
   *[many] { $count } сообщений, отправляют SIM-карт: { $sims }.
}
campaigns-eta-finish = Всё уйдёт примерно к { $when }.
campaigns-eta-deadline = Конец: { $when }.
campaigns-limited-by = Скорость ограничивают { $what }.
campaigns-limit-windows = часы отправки получателей
campaigns-limit-held = ограничение частоты или ожидание итогов A/B-теста
campaigns-limit-rate_per_hour = лимит сообщений в час
campaigns-limit-send_time = скорость модемов
campaigns-limit-per_minute = поминутные лимиты SIM-карт
campaigns-limit-daily_limit = дневные лимиты SIM-карт
campaigns-limit-monthly_limit = месячные лимиты SIM-карт
campaigns-limit-unique_recipients = лимиты SIM-карт на новых получателей
campaigns-cost-title = Стоимость
campaigns-cost-loading = Считаем стоимость для каждого получателя…
campaigns-cost-ab-note = При A/B-тесте остальные получат лучший вариант; здесь он посчитан по варианту, который выпал бы каждому.
campaigns-cost-links-note = Переходы по ссылкам не будут учитываться: укажите публичный адрес (public.base_url).
campaigns-total = Итого
campaigns-progress = Ход рассылки
campaigns-draft-note = Это черновик: ничего не отправится, пока вы его не запустите.
campaigns-paused-note = На паузе: ничего не отправляется, пока вы не продолжите.
campaigns-done-share = Доля обработанных получателей
campaigns-done-of = Готово { $done } из { $count }
campaigns-fig-audience = Получатели
campaigns-fig-waiting = Ждут
campaigns-fig-queued = В очереди
campaigns-fig-sent = Отправлено
campaigns-fig-delivered = Доставлено
campaigns-fig-failed = Ошибки
campaigns-fig-unknown = Неизвестно
campaigns-fig-excluded = Исключены
campaigns-fig-expired = Не успели
campaigns-fig-cancelled = Отменены
campaigns-fig-replies = Ответы
campaigns-fig-optouts = Отписки
campaigns-fig-clicks = Переходы
campaigns-fig-conversions = Покупки
campaigns-fig-cost = Стоимость { $count } SMS
campaigns-excluded-why = Исключены:
campaigns-reason-no_consent = нет согласия
campaigns-reason-opted_out = отписались
campaigns-reason-invalid = неверный номер
campaigns-reason-capped = превышен лимит частоты
campaigns-reason-window_missed = их часы отправки не наступили вовремя
campaigns-reason-render_failed = не удалось составить текст
campaigns-by-variant = По вариантам
campaigns-edit = Изменить черновик
campaigns-pause = Пауза
campaigns-resume = Продолжить
campaigns-cancel = Отменить рассылку
campaigns-confirm-start = Запустить рассылку сейчас? Список получателей фиксируется при запуске.
campaigns-confirm-pause = Поставить рассылку на паузу? Ничего не будет отправляться, пока вы не продолжите.
campaigns-confirm-cancel = Отменить рассылку насовсем? Неотправленное уже не уйдёт.
campaigns-about = Что отправляется
campaigns-ab-winner = Лучший вариант: { $name }.
campaigns-ab-not-significant = Разница оказалась неясной, поэтому оставлен первый вариант.
campaigns-ab-waiting = Лучший вариант выберется, когда закончится время теста.
campaigns-results = Итоги
campaigns-chart-time = По времени
campaigns-chart-variants = Показатели по вариантам
campaigns-chart-empty = Пока ничего не отправлено
campaigns-chart-table = Цифры по часам
campaigns-last-hours = Последние 24 часа с активностью
campaigns-rates-by-variant = Показатели по вариантам
campaigns-rate-delivery = Доставлено
campaigns-rate-reply = Ответили
campaigns-rate-optout = Отписались
campaigns-rate-ctr = Перешли
campaigns-rate-conversion = Купили
campaigns-breakdown = По группам получателей
campaigns-breakdown-by = Группировать по
campaigns-by-variant-opt = Вариант
campaigns-by-zone = Часовой пояс
campaigns-by-tag = Метка
campaigns-breakdown-empty = Группировать пока некого.
campaigns-breakdown-more = Показаны только первые 50 групп.
campaigns-group-none = (не задано)
campaigns-compare = В сравнении с прошлыми рассылками
campaigns-compare-none = Сравнить пока не с чем.
campaigns-this-one = (эта)
campaigns-err-name = Дайте рассылке название.
campaigns-err-segment = Выберите сохранённый сегмент или другой способ выбрать получателей.
campaigns-err-attr = У клиентов нет поля «{ $what }».
campaigns-err-attr-number = «{ $what }» — число: укажите число для сравнения.
campaigns-err-attr-bool = «{ $what }» — да или нет: напишите «да» или «нет».
campaigns-err-list = Укажите хотя бы один номер телефона.
campaigns-err-kind = Выберите, кто получит рассылку.
campaigns-err-no-text = Напишите текст хотя бы одного варианта.
campaigns-err-weight = Доля варианта { $what } — целое число от 1.
campaigns-err-time = Не удаётся прочитать время: выберите дату и время.
campaigns-err-days = Отметьте хотя бы один день отправки.
campaigns-err-number = Укажите целое число от 1 или оставьте поле пустым.
campaigns-err-share = Тестовая часть — процент от 1 до 99.
campaigns-err-decide = Укажите, через сколько выбрать лучший вариант (целое число от 1).
error-invalid_campaign = Рассылку нельзя сохранить в таком виде
error-audience = Не удаётся прочитать получателей
error-empty_audience = Эту рассылку никому нельзя отправить
error-timing = Время не подходит
error-wrong_status = В этом состоянии так нельзя
error-render_failed = Не удаётся составить текст
error-call_tracking = Отслеживание звонков не настроено
error-busy = Уже сохраняется
campaigns-after-m = { $count ->
    [one] { $count } минуту
    [few] { $count } минуты
   *[many] { $count } минут
}
campaigns-after-h = { $count ->
    [one] { $count } час
    [few] { $count } часа
   *[many] { $count } часов
}
campaigns-after-d = { $count ->
    [one] { $count } день
    [few] { $count } дня
   *[many] { $count } дней
}
campaigns-breakdown-show = Показать цифры по группам
campaigns-compare-show = Показать сравнение
campaigns-cost-variant-empty = Вариант { $name } не дойдёт ни до кого: его текст нельзя составить ни для одного получателя (поле, которое он использует, у них пустое). Исправьте текст или задайте полю значение по умолчанию, прежде чем запускать.
